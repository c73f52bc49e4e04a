"""What arrives from the public side: reports, contact requests, their contact details, and
the notices that tell officers (and, if asked, submitters) that something is waiting."""
