"""Officers' work on items: actions on one item, the queue, the dashboard's numbers."""
