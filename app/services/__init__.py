"""Business logic as plain functions taking explicit arguments (a session, data, a folder);
no request access, no extensions, no forms.

Which package may import which — downward only, no cycles (tests/test_layout.py checks it):

    evidence  →  triage  →  intake  →  files  →  leaves
    ops       →  files  →  leaves
    outreach  →  leaves

- evidence/  case files, bulk exports, verification
- triage/    item actions, the queue, the dashboard's numbers
- intake/    reports, contact requests, contact details, notices
- files/     attachments: types, metadata stripping, storage, hashes
- ops/       retention purges, backups, the doctor's checks of an installation
- outreach/  updates, subscriptions, the mail outbox
- leaves     the modules directly in this folder: audit, mail, settings, taxonomy, accounts,
             login_throttle, spreadsheet. A leaf imports only other leaves.

Every service may use what sits below all of them: app.models, app.sealed (everything that
encrypts or holds keys, the search index included; never its crypto module), app.security,
app.i18n, app.vocabularies, app.facets and config. Nothing here imports a blueprint,
app.extensions, app.forms, app.auth or app.errors.
"""
