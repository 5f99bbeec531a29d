"""What editors do: editing (the editing service behind /editor), history (audit log and revert) and accounts
(editor logins). Beside the service: draft_checks (what a draft must pass), refusals (why a change was not
made), wording (engine problems in Chinese), snapshots (versions and recorded states), presentation (what the
pages show), import_preview (files and 千牛 sheets before import) and try_it (a draft among the suggestions)."""
