"""Controlled vocabularies of the report form (shared/TAXONOMY.md facets).

Stored values are the stable codes on the left; labels are translated at display time.
Each list maps to the HURIDOCS list named in its comment so exports line up with
HURIDOCS-style systems.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from app.models.outbox import SUBSCRIBER_LANGUAGES

# When: HURIDOCS list 48 (types of dates), reduced to what a person can answer.
WHEN_PRECISION = [
    ("day", _l("I know the exact day")),
    ("month", _l("I know the month")),
    ("year", _l("I know the year")),
    ("approximate", _l("Roughly (a season, a period)")),
    ("unknown", _l("I don't remember")),
]

MONTHS = [(str(m), str(m)) for m in range(1, 13)]

# Where: North Korea's provinces and special cities (KOREAN.md §2.5), then places outside.
PROVINCES = [
    ("KP-01", _l("Pyongyang")),
    ("KP-02", _l("South Pyongan")),
    ("KP-03", _l("North Pyongan")),
    ("KP-04", _l("Chagang")),
    ("KP-05", _l("South Hwanghae")),
    ("KP-06", _l("North Hwanghae")),
    ("KP-07", _l("Kangwon")),
    ("KP-08", _l("South Hamgyong")),
    ("KP-09", _l("North Hamgyong")),
    ("KP-10", _l("Ryanggang")),
    ("KP-13", _l("Rason")),
    ("KP-14", _l("Nampo")),
    ("KP-15", _l("Kaesong (North Hwanghae)")),  # now part of North Hwanghae; its old code is kept
    ("KP-XX", _l("North Korea, province unknown")),
    ("CN", _l("China")),
    ("RU", _l("Russia")),
    ("OTHER", lazy_pgettext("place", "Another country")),
    ("UNKNOWN", _l("I don't know")),
]

# Facility: COI CRP.1 names, mapped later to HURIDOCS list 5 (0201–0206).
FACILITY_TYPES = [
    ("none", _l("Not in a detention facility")),
    ("kwanliso", _l("Political prison camp (kwanliso)")),
    ("kyohwaso", _l("Prison (kyohwaso)")),
    ("rodong", _l("Labour training camp (rodong danryondae)")),
    ("jipgyolso", _l("Holding centre (jipgyolso)")),
    ("guryujang", _l("Pre-trial detention or interrogation facility (guryujang)")),
    ("camp_927", _l("Camp for homeless children (9.27 sangmu)")),
    ("china", _l("Detention facility in China")),
    ("other", lazy_pgettext("facility", "Another facility")),
    ("unknown", _l("I don't know")),
]

# Who was harmed: HURIDOCS list 7 (counting unit), simplified.
VICTIM_COUNTS = [
    ("1", _l("One person")),
    ("2-5", _l("2 to 5 people")),
    ("6-20", _l("6 to 20 people")),
    ("21+", _l("More than 20 people")),
    ("unknown", _l("I don't know")),
]

VICTIM_RELATIONS = [
    ("self", _l("Myself")),
    ("family", _l("My family")),
    ("acquaintance", _l("Someone I know")),
    ("stranger", _l("Someone I don't know")),
    ("unknown", _l("Prefer not to say")),
]

# Who did it: HURIDOCS list 24, with the agencies escapees name most often.
PERPETRATOR_TYPES = [
    ("state_security", _l("State security (bowibu)")),
    ("police", _l("Police (anjeonbu, formerly boanseo)")),
    ("military", _l("Military")),
    ("border_guard", _l("Border guards (gukgyeong gyeongbidae)")),
    ("prosecutor_court", _l("Prosecutors or courts (geomchalso, jaepanso)")),
    ("party_official", _l("Party or government officials")),
    ("workplace_cadre", _l("Managers of an enterprise or a farm (gieopso, nongjang ganbu)")),
    ("mobilization", _l("Commanders of a shock brigade or a labour mobilization (dolgyeokdae)")),
    # The groups that do the checking in daily life, as escapees name them (issue 11).
    ("sangmu_109", _l("Group 109 (109 sangmu), which hunts for foreign videos and phones")),
    ("gruppa", _l("Anti-socialist inspection group (bisahoe gruppa)")),
    ("gyuchaldae", _l("Patrol squad (gyuchaldae)")),
    ("inminban_head", _l("Head of the neighbourhood unit (inminbanjang)")),
    ("detention_staff", _l("Guards or staff of a detention facility")),
    ("foreign_authority", _l("Authorities of another country (e.g. Chinese police)")),
    ("private", _l("Private individuals (e.g. traffickers, brokers)")),
    ("other", lazy_pgettext("perpetrator", "Other")),
    ("unknown", _l("I don't know")),
]

# How the submitter knows: HURIDOCS list 19 (source connection to information).
SOURCE_CONNECTIONS = [
    ("victim", _l("It happened to me")),
    ("witness", _l("I saw it myself")),
    ("told_by_close", _l("Family or a friend told me")),
    ("heard", _l("I heard it from others")),
    ("documents", _l("From documents or records")),
    ("other", lazy_pgettext("source", "Other")),
]

# Safer channels first (issue 19): a state reads WeChat; SMS, calls and KakaoTalk's ordinary
# chats are not locked end to end; a South Korean app is itself a sign in a phone check in China.
CONTACT_CHANNELS = [
    ("signal", "Signal"),
    ("whatsapp", "WhatsApp"),
    ("telegram", "Telegram"),
    ("email", _l("E-mail")),
    ("phone", _l("Phone call or text message")),
    ("kakaotalk", _l("KakaoTalk")),
    ("wechat", _l("WeChat")),
    ("other", lazy_pgettext("channel", "Other")),
]
# What the submitter should know before choosing a channel, beside each choice.
CHANNEL_NOTES = {
    "signal": _l("Safest: nobody in between can read the messages."),
    "whatsapp": _l("Messages are locked end to end, but WhatsApp is blocked in China."),
    "telegram": _l("Ordinary chats are kept on Telegram's servers, not locked end to end. Blocked in China."),
    "email": _l("Not an address at a Chinese provider (QQ, 163, 126, Sina, Foxmail): the Chinese state can read "
                "those."),
    "phone": _l("The phone company and the state can listen to calls and read text messages."),
    "kakaotalk": _l("Ordinary chats are not locked end to end, and in China a South Korean app on a phone is itself "
                    "a sign of contact with the South."),
    "wechat": _l("The Chinese state reads WeChat. Please do not choose it if you are in China or have family there."),
    "other": _l("Please say which in the next box, with your ID or number."),
}
# What the officer will and will not send: said on the forms, and shown to the officer beside
# the contact details (staff/submission.html), so that the promise and the practice are one text.
CHANNEL_PROMISE = _l("Whatever you choose, the officer's first message only greets you by the name you gave. By "
                     "e-mail, phone, text message, KakaoTalk or WeChat the officer will never write about North Korea, "
                     "your report or our organization, and never send files: they will ask you to move to Signal.")
# Channels a state can read: the officer sends only a greeting there (shown on the item's page).
CHANNELS_A_STATE_CAN_READ = {"email", "phone", "kakaotalk", "wechat"}
# Mail providers in China, whose mailboxes the state can read (warned about on the item's page).
CHINESE_MAIL_DOMAINS = {"qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "188.com", "sina.com", "sina.cn",
                        "sohu.com", "139.com", "189.cn", "wo.cn", "aliyun.com", "tom.com", "21cn.com"}

# Status as a submitter reads it: plain words, no staff jargon (KOREAN.md §1.5).
SUBMITTER_STATUS = {
    "new": _l("Received. It has not been reviewed yet."),
    "in_review": _l("An officer is reviewing it."),
    "needs_info": _l("We have a question for you. Please read the messages below."),
    "accepted": _l("Reviewed and kept on record."),
    "referred": _l("Passed on to a partner organization, as you agreed."),
    "closed": _l("Handling is finished."),
    "duplicate": _l("Handled together with another report about the same events."),
    "rejected": _l("Handling is finished."),
}


def label_for(vocabulary, code: str | None) -> str:
    """The translated label of a stored code; an unknown code is shown as itself."""
    for value, label in vocabulary:
        if value == code:
            return str(label)
    return code or ""


# Triage (DESIGN §6). Staff-facing labels use noun endings (KOREAN.md §2.1).
STATUSES = [
    ("new", lazy_pgettext("case status", "New")),
    ("in_review", lazy_pgettext("case status", "In review")),
    ("needs_info", lazy_pgettext("case status", "Needs information")),
    ("accepted", lazy_pgettext("case status", "Accepted")),
    ("referred", lazy_pgettext("case status", "Referred")),
    ("closed", lazy_pgettext("case status", "Closed")),
    ("duplicate", lazy_pgettext("case status", "Duplicate")),
    ("rejected", lazy_pgettext("case status", "Rejected")),
]

# Allowed moves: new → in_review → needs_info ⇄ in_review → accepted → referred → closed,
# and from any open state to duplicate or rejected. Closed items may be reopened for review.
TRANSITIONS = {
    "new": {"in_review", "duplicate", "rejected"},
    "in_review": {"needs_info", "accepted", "duplicate", "rejected", "closed"},
    "needs_info": {"in_review", "duplicate", "rejected", "closed"},
    "accepted": {"referred", "closed", "in_review"},
    "referred": {"closed", "in_review"},
    "closed": {"in_review"},
    "duplicate": {"in_review"},
    "rejected": {"in_review"},
}
REASON_REQUIRED = {"rejected", "duplicate", "closed"}

KINDS = [("report", lazy_pgettext("kind", "Report")), ("contact", lazy_pgettext("kind", "Contact request"))]

# HURIDOCS list 46 (priority), 41 (violation status), 42 (reliability).
PRIORITIES = [
    ("urgent", _l("Urgent")),
    ("high", _l("High priority")),
    ("normal", lazy_pgettext("priority", "Priority")),
    ("low", _l("Low priority")),
]
VIOLATION_STATUSES = [
    ("confirmed", _l("Confirmed")),
    ("likely", _l("Likely")),
    ("possible", _l("Possible")),
    ("unlikely", _l("Unlikely")),
    ("unknown", lazy_pgettext("assessment", "Unknown")),
]
RELIABILITY = [
    ("high", _l("Highly reliable")),
    ("likely", _l("Likely reliable")),
    ("unsure", _l("Unsure")),
    ("likely_unreliable", _l("Likely unreliable")),
    ("unreliable", _l("Highly unreliable")),
    ("unknown", lazy_pgettext("assessment", "Unknown")),
]

CONTACT_TOPICS = [
    ("meeting", _l("A meeting or a conversation")),
    ("training", _l("Learning how to record what happened")),
    ("evidence", _l("Passing on a lot of material at once")),
    ("safety", _l("A safety concern")),
    ("other", lazy_pgettext("topic", "Other")),
]

# Records (issue 22; HURIDOCS Events Standard Formats: person, event, and a place for "where").
RECORD_KINDS = [
    ("person", lazy_pgettext("record", "Person")),
    ("place", lazy_pgettext("record", "Place")),
    ("event", lazy_pgettext("record", "Event")),
]
# A person's usual part; the part in a given event is an INVOLVEMENT_ROLES code.
PERSON_ROLES = [
    ("victim", lazy_pgettext("person", "Victim")),
    ("witness", lazy_pgettext("person", "Witness")),
    ("perpetrator", lazy_pgettext("person", "Perpetrator")),
    ("official", lazy_pgettext("person", "Official")),
    ("other", lazy_pgettext("person", "Other")),
]
INVOLVEMENT_ROLES = [code for code in PERSON_ROLES if code[0] != "other"]
CASE_STATUSES = [
    ("open", lazy_pgettext("case", "Open")),
    ("building", lazy_pgettext("case", "Being built")),
    ("referred", lazy_pgettext("case", "Referred")),
    ("closed", lazy_pgettext("case", "Closed")),
]

# What the audit log records, in words (the admin's audit page; the code stays in the log).
AUDIT_ACTIONS = [
    ("submission.created", _l("Report or contact request received")),
    ("submission.followup", _l("Submitter added information")),
    ("submission.viewed", _l("Item opened")),
    ("submission.status", _l("Status changed")),
    ("submission.priority", _l("Priority changed")),
    ("submission.assessment", _l("Assessment changed")),
    ("submission.assigned", _l("Assigned to an officer")),
    ("submission.recoded", _l("Categories changed")),
    ("submission.contact_revealed", _l("Contact details shown")),
    ("submission.evidence_hold", _l("Evidence hold placed")),
    ("submission.evidence_released", _l("Evidence hold lifted")),
    ("submission.exported", _l("Item exported in a case file")),
    ("submission.purged", _l("Item deleted by the retention rule")),
    ("retention.run", _l("Automatic deletion ran")),
    ("message.sent", _l("Message sent to the submitter")),
    ("note.added", _l("Internal note added")),
    ("attachment.downloaded", _l("File downloaded")),
    ("export.started", _l("Case file export started")),
    ("export.completed", _l("Case file export finished")),
    ("queue.exported", _l("Queue exported as a spreadsheet")),
    ("auth.login", _l("Signed in")),
    ("auth.logout", _l("Signed out")),
    ("auth.failure", _l("Sign-in failed")),
    ("auth.locked", _l("Account locked after failed sign-ins")),
    ("auth.totp_enrolled", _l("Two-step verification set up")),
    ("user.created", _l("Staff account created")),
    ("user.activated", _l("Staff account activated")),
    ("user.deactivated", _l("Staff account deactivated")),
    ("user.password_changed", _l("Password changed")),
    ("user.totp_reset", _l("Two-step verification reset")),
    ("user.sessions_ended", _l("Sessions ended by an admin")),
    ("user.regranted", _l("Access to submissions given again")),
    ("keys.created", _l("Organization keys created")),
    ("keys.granted", _l("Access to submissions given")),
    ("keys.revoked", _l("Access to submissions taken away")),
    ("keys.identity_revoked", _l("Access to contact details taken away")),
    ("keys.recovery_rotated", _l("New recovery code made")),
    ("keys.sealed_existing", _l("Older items locked with the keys")),
    ("search.key_rotated", _l("New search key made")),
    ("keys.signing_rotated", _l("New signing key for case files made")),
    ("settings.retention", _l("Retention settings changed")),
    ("subscription.confirmed", _l("Subscription confirmed")),
    ("subscription.cancelled", _l("Subscription cancelled")),
    ("subscriber.removed", _l("Subscriber removed")),
    ("subscribers.exported", _l("Subscriber list exported")),
    ("update.saved", _l("Update saved")),
    ("update.published", _l("Update published")),
    ("update.unpublished", _l("Update unpublished")),
    ("audit.checkpoint", _l("Audit checkpoint made")),
    ("audit.chain_keyed", _l("Audit chain protected with its key")),
    ("demo.seeded", _l("Demonstration data added")),
    ("backup.created", _l("Backup made")),
    ("backup.restored", _l("Restored from a backup")),
    ("backup.drilled", _l("Backup restore drill")),
    ("record.created", _l("Record created")),
    ("record.changed", _l("Record changed")),
    ("record.person_viewed", _l("Person record opened")),
    ("record.involvement_added", _l("Person added to an event")),
    ("record.involvement_removed", _l("Person removed from an event")),
    ("case.exported", _l("Case exported")),
    ("record.linked", _l("Item linked to a record")),
    ("record.unlinked", _l("Link between an item and a record removed")),
    ("case.created", _l("Case created")),
    ("case.changed", _l("Case changed")),
    ("case.submission_added", _l("Item added to a case")),
    ("case.submission_removed", _l("Item removed from a case")),
    ("case.record_added", _l("Record added to a case")),
    ("case.record_removed", _l("Record removed from a case")),
    ("case.note_added", _l("Case note added")),
    ("group.created", _l("Partner group created")),
    ("group.reinvited", _l("Partner group given a new invitation code")),
    ("group.joined", _l("Partner group joined")),
    ("group.login", _l("Partner group logged in")),
    ("group.recovered", _l("Partner group set a new passphrase with its recovery code")),
    ("group.naming_changed", _l("Partner group changed whether it may be named as source")),
    ("group.totp_enabled", _l("Partner group set up an app code")),
    ("group.totp_disabled", _l("Partner group turned off its app code")),
    ("group.suspended", _l("Partner group suspended")),
    ("group.reactivated", _l("Partner group reactivated")),
    ("group.sessions_ended", _l("Partner group's sessions ended by an admin")),
    ("group.message_sent", _l("Message sent to a partner group")),
]
# Who acted, when it was not a staff account ("user:<id>" is shown as that account).
AUDIT_ACTORS = [
    ("submitter", _l("The submitter")),
    ("subscriber", lazy_pgettext("audit", "A subscriber")),
    ("system", _l("The portal itself")),
    ("system:retention", _l("Automatic deletion (retention)")),
    ("cli", _l("A command on the server")),
]
AUDIT_TARGETS = [
    ("submission", lazy_pgettext("audit", "Item")),
    ("user", _l("Staff account")),
    ("subscriber", lazy_pgettext("audit", "Subscriber")),
    ("update", lazy_pgettext("audit", "Update")),
    ("export", lazy_pgettext("audit", "Export")),
    ("keys", lazy_pgettext("audit", "Keys")),
    ("settings", lazy_pgettext("audit", "Settings")),
    ("queue", lazy_pgettext("audit", "Queue")),
    ("audit", lazy_pgettext("audit", "Audit log")),
    ("backup", lazy_pgettext("audit", "Backup")),
    ("record", lazy_pgettext("audit", "Record")),
    ("case", lazy_pgettext("audit", "Case")),
    ("partner_group", lazy_pgettext("audit", "Partner group")),
]
# Languages named in the page's language, for staff pages (the switcher names them in
# their own).
LANGUAGE_LABELS = [("ko", _l("Korean")), ("en", _l("English"))]

# The languages a subscriber can receive updates in.
SUBSCRIPTION_LANGUAGES = list(zip(SUBSCRIBER_LANGUAGES, (_l("Korean"), _l("English"), _l("Both Korean and English")),
                                  strict=True))
