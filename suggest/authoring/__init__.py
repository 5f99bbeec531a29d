"""What editors do: editing (the editing service behind /editor), history (audit log and revert) and accounts
(editor logins)."""
