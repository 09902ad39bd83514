"""Readable names of the codes the pages show (deployment fields, event actions), as gettext
message ids: ``N_`` marks them for extraction; templates translate them with ``_()``."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it here."""
    return message


SCENARIOS = {
    "sales_office": N_("Sales office"),
    "residential_gate": N_("Residential gate"),
    "shop": N_("Shop"),
    "office_attendance": N_("Office attendance"),
    "hotel": N_("Hotel"),
    "school": N_("School"),
    "transport": N_("Transport"),
    "other": N_("Other"),
}
PURPOSE_CATEGORIES = {
    "public_security": N_("Public security"),
    "access_control": N_("Access control"),
    "attendance": N_("Attendance"),
    "payment": N_("Payment"),
    "identity_verification": N_("Identity verification"),
    "marketing": N_("Marketing"),
    "analytics": N_("Analytics"),
    "other": N_("Other"),
}
LEGAL_BASES = {
    "consent": N_("Your consent"),
    "law": N_("A law that requires it"),
    "contract": N_("A contract with you"),
    "legal_obligation": N_("A legal obligation"),
    "emergency": N_("An emergency"),
    "news_public_interest": N_("News reporting in the public interest"),
    "disclosed_information": N_("Information already made public"),
    "other_law": N_("Another law or regulation"),
}
STORAGE = {
    "device": N_("On the camera or gate itself"),
    "local_server": N_("On a server at the site"),
    "cloud": N_("In a cloud service"),
}
# the fixed texts of veil.service.notices (composed ones stay as the notice gives them)
NOTICE_TEXTS = (
    N_("anonymized at capture"),
    N_("discarded at capture"),
    N_("stored"),
    N_("shown unredacted"),
    N_("not declared (treated as not redacted)"),
    N_("people the law requires to be identified (legal basis: law)"),
    N_("only people who gave separate consent"),
    N_("everyone captured: no separate consent is asked"),
)
ACTIONS = {
    "collect": N_("Collected"),
    "store": N_("Stored"),
    "use": N_("Used"),
    "anonymize": N_("Anonymized"),
    "identify": N_("Recognized"),
    "disclose": N_("Disclosed"),
    "transfer": N_("Transferred"),
    "delete": N_("Deleted"),
    "consent_granted": N_("Consent given"),
    "consent_withdrawn": N_("Consent withdrawn"),
    "consent_expired": N_("Consent expired"),
    "export": N_("Exported"),
}
LEVELS = {"error": N_("Problem"), "warning": N_("Warning"), "note": N_("Note")}


def label(table: dict[str, str], code: str) -> str:
    """The message id for ``code``, or the code itself when the table does not know it."""
    return table.get(code, code)


# reads of the person's records (veil.ledger.person_trace.read_event), by "<role>:<action>"
READS = {
    "operator:use": N_("An operator looked at your records"),
    "operator:export": N_("An operator exported your records"),
    "auditor:use": N_("An auditor looked at your records"),
    "auditor:export": N_("An auditor exported your records"),
    "admin:use": N_("An administrator looked at your records"),
    "admin:export": N_("An administrator exported your records"),
}
RIGHTS_KINDS = {
    "access": N_("See what is held about me"),
    "copy": N_("A copy of my data"),
    "correction": N_("Correct my data"),
    "deletion": N_("Delete my data"),
    "explanation": N_("Explain how my data is processed"),
}
RIGHTS_STATES = {
    "received": N_("Received"),
    "in_progress": N_("In progress"),
    "fulfilled": N_("Done"),
    "refused": N_("Refused"),
}
# titles of the dashboard's charts (rendered by the console router)
CHART_BY_ACTION = N_("Recent events by action")
CHART_FACES_BY_CAMERA = N_("Faces redacted by camera")
CHART_ACTIONS_OVER_TIME = N_("Events by action over time")
CHART_RECOGNITIONS = N_("Recognitions by purpose")
CHART_FACES_OVER_TIME = N_("Faces redacted by camera over time")
# states a ``veil stream --serve`` health endpoint reports (veil.stream), and the console's own
CAMERA_STATES = {
    "starting": N_("Starting"),
    "connecting": N_("Connecting"),
    "streaming": N_("Streaming"),
    "stopped": N_("Stopped"),
    "failed": N_("Failed"),
    "unknown": N_("Unknown"),
    "unreachable": N_("Unreachable"),
}
