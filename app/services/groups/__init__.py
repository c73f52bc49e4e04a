"""Partner groups (issue 23): escapee groups that send many testimonies from one space.

- accounts: an admin creates a group (its one-time invitation code), suspends or reactivates
  it, ends its sessions; the group joins, logs in, chooses whether it may be named.
- intake: a testimony of the group becomes a submission sealed to the org key and to the
  group's key (create_group_report, also used by the spreadsheet import).
- space: what the group's space and the officers' group page list and count, and the
  officers' messages to a group as a whole.

The keys and sealed values themselves are in app/sealed/groups.py.
"""
