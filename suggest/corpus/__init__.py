"""The corpus on disk and its exchange formats: files (load, validate, write atomically), interchange (JSONL/CSV
import and export), spreadsheet (xlsx and 千牛 quick-phrase sheets), compliance (the advertising-law and platform
lint) and profile (the shop's facts that fill placeholders)."""
