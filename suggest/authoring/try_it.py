"""Try-it: where a draft would stand among the suggestions agents get for a buyer message, before it is saved.

Editors want to know whether a new reply would reach agents at all; the answer needs the live engine but must
not touch the corpus, so it is kept apart from the service that changes it.
"""

from __future__ import annotations

import numpy as np

from ..corpus.profile import fill
from ..engine.text import normalize
from .draft_checks import text_lines

# Try-it verdicts: nearest-example similarity of the message to the draft (m3e-small: paraphrases score
# 0.9 and above, unrelated shop questions about 0.65-0.75).
TRY_LIKELY = 0.88
TRY_POSSIBLE = 0.80
TRY_BATCH = 8  # texts per embedder call in try-it (embed.ONNX_MAX_TEXTS)
TRY_METHOD = ("右侧是引擎此刻给客服的真实推荐（按保存前的语料计算）。草稿的位置按“买家消息与话术例句或话术本身的最高"
              "相似度”估算，现有推荐也用同一方法计分；这是引擎排序的主要依据。保存后分类模型会重新训练，实际名次可能略有差别。")


def try_draft(engine, message: str, draft: dict | None = None, reply_id: str | None = None, k: int = 5) -> dict:
    """What agents get for `message` now, and where the draft under edit would stand among it.

    The real engine answers the message (current corpus). The draft and every suggested reply are scored the
    same way: the message's highest cosine similarity to the reply's example messages and its own text,
    which is the main evidence the engine ranks by. The draft is placed by that score."""
    message = engine.check_message(message)
    result = engine.suggest(message, k=k)
    corpus = engine.corpus
    query_text = normalize(message) or message.strip()
    query = engine.embedder.encode_cached([query_text])[0]

    def nearest(texts: list[str]) -> tuple[float, str]:
        texts = [t for t in texts if t and t.strip()]
        if not texts:
            return 0.0, ""
        normalized = [normalize(t) or t.strip() for t in texts]
        # a few texts per call: the embedder then runs them through ONNX Runtime (fast for short batches)
        vectors = np.vstack([engine.embedder.encode_cached(normalized[i:i + TRY_BATCH])
                             for i in range(0, len(normalized), TRY_BATCH)])
        sims = vectors @ query
        best = int(np.argmax(sims))
        return round(float(sims[best]), 3), texts[best]

    current = []
    for rank, item in enumerate(result.suggestions, start=1):
        reply = corpus.replies.get(item.id)
        sim, via = nearest(list(reply.examples) + [reply.text]) if reply else (0.0, "")
        situation = corpus.situations.get(item.situation)
        current.append({"rank": rank, "id": item.id, "text": item.text, "situation": item.situation,
                        "situation_name": situation.name if situation else item.situation,
                        "score": item.score, "similarity": sim, "nearest": via,
                        "is_original": item.id == reply_id})
    out = {"message": message, "abstained": result.abstained, "suggestions": current, "draft": None,
           "merged": current, "method": TRY_METHOD}
    if not draft:
        return out
    text = str(draft.get("text") or "").strip()
    examples = text_lines(draft.get("examples"))
    if not text and not examples:
        return out
    sim, via = nearest(examples + [text])
    others = [c for c in current if not c["is_original"]]
    position = 1 + sum(1 for c in others if c["similarity"] > sim)
    verdict = "likely" if sim >= TRY_LIKELY else "possible" if sim >= TRY_POSSIBLE else "unlikely"
    filled, unfilled = fill(text, engine.profile.values())
    situation_name = ""
    sid = draft.get("situation") if isinstance(draft.get("situation"), str) else ""
    if sid in corpus.situations:
        situation_name = corpus.situations[sid].name
    elif isinstance(draft.get("situation_name"), str):
        situation_name = draft["situation_name"]
    entry = {"rank": position, "id": reply_id or "", "text": filled, "unfilled": list(unfilled),
             "situation": sid or "", "situation_name": situation_name, "similarity": sim, "nearest": via,
             "is_draft": True}
    merged = [dict(c) for c in others]
    merged.insert(position - 1, entry)
    for rank, item in enumerate(merged, start=1):
        item["rank"] = rank
    out["draft"] = {"similarity": sim, "nearest": via, "position": position, "verdict": verdict,
                    "text": filled, "unfilled": list(unfilled)}
    out["merged"] = merged[:max(k, position)]
    return out
