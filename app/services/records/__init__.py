"""Records (persons, places, events), links from submissions, and cases (issue 22)."""
