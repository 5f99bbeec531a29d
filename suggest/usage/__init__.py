"""What agents do and what it teaches: feedback (the log of copies, sends and dismissals), privacy (masking of
personal data before it reaches the disk) and analytics (unserved messages grouped for editors)."""
