"""The wording of notices. Each body may replace Ombuds' own wording of any notice
(`NoticeTemplate`); both are Django templates rendered as plain text.

What a notice may say depends on who reads it: the respondent never learns the complainant's identity
unless the complainant consented, and no notice carries internal notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.template import Context, Template
from django.urls import reverse

from ombuds.cases.models import Case, Notice, NoticeTemplate, SanctionChoice
from ombuds.cases.procedure import parse_date
from ombuds.cases.rules import LINK_DAYS
from ombuds.cases.selectors import procedure_of
from ombuds.codes.citing import citation_prefix, cite
from ombuds.register.models import Sanction

SIGNATURE = "\n\n{{ body.name }}\n{% if body.contact_email %}{{ body.contact_email }}\n{% endif %}"

DEFAULTS: dict[str, tuple[str, str]] = {
    "receipt": (
        "{{ body.short_name }} has received your complaint {{ case.reference }}",
        "Dear {{ case.complainant_name }},\n\n"
        "{{ body.name }} has received your complaint about {{ case.respondent_name }}. Its "
        "reference is {{ case.reference }}; please quote it when you write to us.\n\n"
        "What happens next: {{ procedure.description }}",
    ),
    "acknowledgement": (
        "Your complaint {{ case.reference }} is being reviewed",
        "Your complaint {{ case.reference }} about {{ case.respondent_name }} has been "
        "acknowledged and is now with {{ handler }}. If you believe {{ handler }} has a conflict of "
        "interest in it, tell us.",
    ),
    "dismissal": (
        "Your complaint {{ case.reference }} has been dismissed",
        "Your complaint {{ case.reference }} about {{ case.respondent_name }} has been dismissed "
        "({{ inputs.ground }}).\n\n{{ inputs.reasons }}",
    ),
    "dismissal_respondent": (
        "The complaint {{ case.reference }} has been dismissed",
        "The complaint {{ case.reference }} about {{ case.respondent_name }} has been dismissed "
        "({{ inputs.ground }}). No further action will be taken on it.",
    ),
    "efforts_request": (
        "Your complaint {{ case.reference }}: proof of efforts to resolve it",
        "Before {{ case.respondent_name }} is notified of your complaint {{ case.reference }}, our "
        "code asks for proof that reasonable efforts were made to resolve it with them (for example "
        "your letters or emails to them and their replies).\n\n{{ inputs.message }}\n\n"
        "Please send it by {{ deadlines.efforts|date:'j F Y' }}.",
    ),
    "allegations": (
        "A complaint about you: {{ case.reference }}",
        "{{ body.name }} has received a complaint about {{ case.respondent_name }}, reference "
        "{{ case.reference }}.\n\n"
        "{% if show_complainant %}It was made by {{ case.complainant_name }}.{% else %}The "
        "complainant has not agreed to share their identity.{% endif %}\n\n"
        "The allegations:\n{% for a in allegations %}\n{{ a.position }}. {{ a.summary }}"
        "{% for p in a.provisions.all %}\n   {{ p.citation }}: {{ p.full_text }}{% endfor %}\n"
        "{% endfor %}\n"
        "{% if deadlines.answer %}Please answer by {{ deadlines.answer|date:'j F Y' }}."
        "{% elif after_delivery.answer %}Please answer within {{ after_delivery.answer }} of the "
        "day you receive this notice.{% endif %} "
        "Read the allegations, answer and send documents here:\n{{ respondent_url }}\n"
        "This link is personal; it expires in {{ link_days }} days.",
    ),
    "cooperation_request": (
        "{{ case.reference }}: a request to cooperate with an investigation",
        "{{ body.name }} is investigating a complaint about {{ case.respondent_name }}, reference "
        "{{ case.reference }}. Credential holders are asked to cooperate with complaint and "
        "disciplinary investigations.\n\n"
        "The allegations:\n{% for a in allegations %}\n{{ a.position }}. {{ a.summary }}"
        "{% for p in a.provisions.all %}\n   {{ p.citation }}: {{ p.full_text }}{% endfor %}\n"
        "{% endfor %}\n"
        "{% if deadlines.cooperation %}Please answer by {{ deadlines.cooperation|date:'j F Y' }}."
        "{% elif after_delivery.cooperation %}Please answer within "
        "{{ after_delivery.cooperation }} of the day you receive this notice.{% endif %} Answer and send documents here:\n{{ respondent_url }}",
    ),
    "allegations_added": (
        "{{ case.reference }}: allegations added to the complaint about you",
        "{{ body.name }} has added to the complaint {{ case.reference }} about "
        "{{ case.respondent_name }}.\n\n"
        "Added:\n{% for a in added %}\n{{ a.position }}. {{ a.summary }}"
        "{% for p in a.provisions.all %}\n   {{ p.citation }}: {{ p.full_text }}{% endfor %}\n"
        "{% endfor %}\n"
        "{% if answer_period %}You may answer {% if added|length > 1 %}them{% else %}it{% endif %} "
        "within {{ answer_period }} of the day you receive this notice. {% endif %}"
        "Read the allegations, answer and send documents here:\n{{ respondent_url }}\n"
        "This link is personal; it expires in {{ link_days }} days.",
    ),
    "progress": (
        "Your complaint {{ case.reference }}: the respondent has been notified",
        "{{ case.respondent_name }} has been notified of your complaint {{ case.reference }} and "
        "asked to answer.",
    ),
    "referral": (
        "Your complaint {{ case.reference }} has been referred",
        "Your complaint {{ case.reference }} has been referred to {{ inputs.referred_to }}.\n\n"
        "{{ inputs.reasons }}",
    ),
    "no_answer": (
        "{{ case.reference }}: no answer by the deadline",
        "The respondent in {{ case.reference }} did not answer by the deadline; the case has moved "
        "to {{ state.label|lower }}.",
    ),
    "no_cooperation": (
        "{{ case.reference }}: no cooperation by the deadline",
        "The respondent in {{ case.reference }} did not cooperate by the deadline; the case has "
        "moved to {{ state.label|lower }}. Failing to cooperate can be added as an allegation.",
    ),
    "committee_referral": (
        "{{ case.reference }} is before the committee",
        "Case {{ case.reference }} ({{ case.respondent_name }}) is before the committee.\n\n"
        "{{ inputs.summary }}",
    ),
    "closure": (
        "{{ case.reference }} is closed",
        "Case {{ case.reference }} about {{ case.respondent_name }} is closed.\n\n{{ inputs.reasons }}",
    ),
    "decision": (
        "The decision in {{ case.reference }}",
        "The committee has decided the complaint {{ case.reference }} about "
        "{{ case.respondent_name }}.\n{% for a in allegations %}\n{{ a.position }}. {{ a.summary }}\n"
        "   {{ a.get_determination_display }}{% if a.reasons %}: {{ a.reasons }}{% endif %}\n"
        "{% endfor %}{% if sanction %}\nSanction: {{ sanction.kind_label }}. {{ sanction.summary }}"
        "{% endif %}{% if inputs.reasons %}\n\n{{ inputs.reasons }}{% endif %}",
    ),
    "sanction": (
        "The sanction in {{ case.reference }}",
        "The committee has upheld allegations in {{ case.reference }} and imposed this sanction: "
        "{{ sanction.kind_label }}, from {{ sanction.effective_from|date:'j F Y' }}"
        "{% if sanction.effective_until %} until {{ sanction.effective_until|date:'j F Y' }}{% endif %}."
        "\n\n{{ sanction.summary }}{% if sanction.conditions %}\n\nConditions: "
        "{{ sanction.conditions }}{% endif %}{% if sanction.amount %}\n\nThe fine: "
        "{{ sanction.amount }} {{ sanction.currency }}, to be paid by "
        "{{ sanction.due_on|date:'j F Y' }}.{% endif %}\n\n"
        "{% if deadlines.appeal %}You may appeal by {{ deadlines.appeal|date:'j F Y' }}, here:\n"
        "{{ respondent_url }}{% endif %}",
    ),
    "appeal_lodged": (
        "{{ case.reference }}: an appeal",
        "An appeal was lodged in {{ case.reference }}.\n\n{{ inputs.grounds }}",
    ),
    "appeal_decision": (
        "The appeal in {{ case.reference }}",
        "The appeal in {{ case.reference }} has been decided: {{ step.label|lower }}.\n\n"
        "{{ inputs.reasons }}",
    ),
    "message": (
        "A message about {{ case.reference }}",
        "There is a new message about {{ case.reference }}."
        "{% if respondent_url %} Read it here:\n{{ respondent_url }}{% endif %}",
    ),
    "checkin": (
        "{{ body.short_name }}: has anyone retaliated against you?",
        "Your complaint {{ case.reference }} about {{ case.respondent_name }} was closed on "
        "{{ case.closed_at|date:'j F Y' }}. Retaliation against someone who complains is itself a "
        "breach we act on. If you have been treated badly because of your complaint, tell us: reply "
        "to this message{% if case.anonymous %} on the follow-up page with your receipt code{% endif %}.",
    ),
    "more_time_asked": (
        "{{ case.reference }}: the respondent asks for more time",
        "{{ case.respondent_name }} asks for more time in {{ case.reference }}"
        "{% if inputs.until %}, until {{ inputs.until|date:'j F Y' }}{% endif %}."
        "{% if inputs.reason %}\n\nTheir reason: {{ inputs.reason }}{% endif %}\n\n"
        "Running now:{% for d in running %}\n- {{ d.label }}: by {{ d.due_on|date:'j F Y' }}"
        "{% endfor %}\n\n"
        "Grant or refuse it on the case page. Asking does not stop the clock: decide before the "
        "date to answer by passes.",
    ),
    "more_time_granted": (
        "{{ case.reference }}: more time granted",
        "{{ body.name }} has granted your request for more time in {{ case.reference }}."
        "{% if inputs.until %} The new date to answer by is {{ inputs.until|date:'j F Y' }}."
        "{% endif %}{% if inputs.reason %}\n\n{{ inputs.reason }}{% endif %}",
    ),
    "more_time_refused": (
        "{{ case.reference }}: more time refused",
        "{{ body.name }} has refused your request for more time in {{ case.reference }}."
        "{% if inputs.reason %}\n\n{{ inputs.reason }}{% endif %}\n\n"
        "{% if deadlines.answer %}Please answer by {{ deadlines.answer|date:'j F Y' }}, as before."
        "{% elif deadlines.cooperation %}Please answer by "
        "{{ deadlines.cooperation|date:'j F Y' }}, as before.{% else %}The date to answer by is "
        "unchanged.{% endif %}",
    ),
    "complainant_link": (
        "Your complaint {{ case.reference }}: a new link to follow it",
        "Here is a new personal link to follow your complaint {{ case.reference }} about "
        "{{ case.respondent_name }}, as you asked:\n{{ complainant_url }}\n"
        "It expires in {{ link_days }} days. If you did not ask for it, you can ignore this "
        "message: the link is only sent to this address.",
    ),
    "complainant_sent": (
        "{{ case.reference }}: the complainant sent {{ inputs.what }}",
        "The complainant in {{ case.reference }} ({{ case.respondent_name }}) sent {{ inputs.what }} "
        "from their page{% if inputs.names %}: {{ inputs.names }}{% endif %}.\n\n"
        "It is on the case page{% if inputs.step %}, and the case has moved to "
        "{{ state.label|lower }}: check the proof before going on{% endif %}.",
    ),
    "deadline_reminder": (
        "{{ case.reference }}: a deadline is near",
        "Case {{ case.reference }} has deadlines running:\n{% for d in running %}\n"
        "- {{ d.label }}: by {{ d.due_on|date:'j F Y' }}{% endfor %}",
    ),
}


# What a notice kept on the case says in place of the respondent's personal link: the link itself
# goes only into the email, so nobody who reads the case can act as the respondent.
LINK_PLACEHOLDER = "[the respondent's personal link: sent by email only]"


def respondent_url(token: str) -> str:
    return base_url() + reverse("cases:respondent", kwargs={"token": token})


# The same for a named complainant's personal link (`ombuds.cases.complainant_page`): every notice
# to them carries one, in the body's wording where it says {{ complainant_url }}, else after it.
COMPLAINANT_LINK_PLACEHOLDER = "[your personal link: sent by email only]"
COMPLAINANT_LINK_TEXT = (
    "\n\nFollow your complaint, write to us and send documents (such as a proof we ask for) on "
    "your page. This link is personal; it expires in {days} days, and you can ask for a new one "
    "on the page it leads to:\n{url}"
)


def complainant_url(org: str, token: str) -> str:
    return base_url() + reverse("cases:complainant", kwargs={"org": org, "token": token})


def link_filled(notice: Notice) -> str:
    """A notice's text as emailed: the placeholder of the recipient's personal link replaced by
    the link itself (the text kept on the case never holds it)."""
    if not notice.link_token:
        return notice.body
    if notice.recipient_role == "complainant":
        url = complainant_url(notice.case.organization.slug, notice.link_token)
        return notice.body.replace(COMPLAINANT_LINK_PLACEHOLDER, url)
    return notice.body.replace(LINK_PLACEHOLDER, respondent_url(notice.link_token))


def base_url() -> str:
    return getattr(settings, "OMBUDS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


@dataclass(frozen=True)
class Read:
    """What the caller has read of the case already (the staff case page, for its previews): a
    notice takes these from here rather than reading them again."""

    deadlines: list  # every deadline of the case, in their order
    allegations: list  # every allegation, in their order, their provisions prefetched
    sanction_choice: SanctionChoice | None


@lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    """A wording compiled once per process (a body's own wording changed is another text)."""
    return Template(text)


def render(
    case: Case,
    template: str,
    recipient_role: str,
    *,
    respondent_token: str = "",
    inputs: dict | None = None,
    step=None,
    deadlines: dict[str, dt.date] | None = None,
    complainant_token: str = "",
    read: Read | None = None,
) -> tuple[str, str]:
    """(subject, body) of a notice about a case for one kind of recipient; ``deadlines`` (by name)
    in place of those running, for a preview of a step not yet taken; a named complainant's
    personal link where the wording says {{ complainant_url }}, else after the text; ``read``:
    what the caller has read of the case already."""
    custom = NoticeTemplate.objects.filter(
        organization_id=case.organization_id, name=template
    ).first()
    subject_text, body_text = (custom.subject, custom.body) if custom else DEFAULTS[template]
    procedure = procedure_of(case)
    if read is None:
        read = Read(
            deadlines=list(case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True)),
            allegations=list(case.allegations.prefetch_related("provisions")),
            sanction_choice=SanctionChoice.objects.filter(case=case).first(),
        )
    choice = read.sanction_choice
    running = [
        d
        for d in read.deadlines
        if d.met_at is None and d.expired_at is None and not d.waits_for_delivery
    ]
    added = {int(p) for p in str((inputs or {}).get("added", "")).split(",") if p.isdigit()}
    answer = procedure.deadlines.get(procedure.declared.answer_deadline)
    show_complainant = recipient_role != "respondent" or case.consent_to_share
    url = ""
    if respondent_token:
        url = respondent_url(respondent_token)
    mine = complainant_url(case.organization.slug, complainant_token) if complainant_token else ""
    context = Context(
        {
            "case": (_respondent_case_values if recipient_role == "respondent" else _case_values)(
                case, show_complainant
            ),
            "body": _body_values(case.organization),
            "procedure": {"name": procedure.name, "description": procedure.description},
            "state": _named(procedure.state(case.state)),
            "step": _named(step) if step is not None else None,
            "inputs": _input_values(inputs or {}, step),
            "allegations": [_allegation_values(a) for a in read.allegations],
            "deadlines": {d.name: d.due_on for d in running} if deadlines is None else deadlines,
            # Deadlines counting from the notice's delivery: the period, as the notice says it.
            "after_delivery": {
                d.name: period(d) for d in procedure.deadlines.values() if d.after_delivery
            },
            "added": [_allegation_values(a) for a in read.allegations if a.position in added],
            "answer_period": period(answer) if answer is not None else "",
            "running": [
                {"name": d.name, "label": d.label, "starts_on": d.starts_on, "due_on": d.due_on}
                for d in running
            ],
            "sanction": _sanction_view(choice),
            "handler": case.handler.get_full_name() or case.handler.get_username()
            if case.handler_id
            else f"the {case.organization.short_name} ethics committee",
            "show_complainant": show_complainant,
            "respondent_url": url,
            "complainant_url": mine,
            "link_days": LINK_DAYS,
        },
        autoescape=False,
    )
    subject = " ".join(_compiled(subject_text).render(context).split())[:300]
    if mine and "complainant_url" not in body_text:
        # The wording does not place the link: it goes after the text, before the signature.
        body_text += COMPLAINANT_LINK_TEXT.format(days=LINK_DAYS, url="{{ complainant_url }}")
    body = _compiled(body_text + SIGNATURE).render(context).strip() + "\n"
    return subject, body


# A notice's context holds plain values, never models: a body's own wording can show only what is
# listed here, and cannot walk from an allegation or the body back to a case (or to other cases).
# What identifies the complainant reads as blank to a respondent who may not learn it.
HIDDEN_FROM_RESPONDENT = {
    "complainant_name": "",
    "complainant_email": "",
    "complainant_phone": "",
    "complainant_label": "The complainant",
}
CASE_FIELDS = (
    "reference",
    "respondent_name",
    "filed_at",
    "closed_at",
    "anonymous",
    "consent_to_share",
    "happened_on",
    "happened_until",
    "what_happened",
    "outcome_sought",
    "checkin_on",
)


class _Items(list):
    """A list that also answers `.all`, as a related manager does in a template."""

    @property
    def all(self) -> list:
        return self


def _case_values(case: Case, show_complainant: bool) -> dict:
    values = {name: getattr(case, name) for name in CASE_FIELDS}
    values.update(
        complainant_name=case.complainant_name,
        complainant_email=case.complainant_email,
        complainant_phone=case.complainant_phone,
        complainant_label=case.complainant_label,
        get_channel_display=case.get_channel_display(),
        get_complainant_relation_display=case.get_complainant_relation_display(),
    )
    if not show_complainant:
        values.update(HIDDEN_FROM_RESPONDENT)
    return values


def _respondent_case_values(case: Case, show_complainant: bool) -> dict:
    """What a notice to the respondent may say of the case: never the complainant's own account
    (they read the allegations the body drafted), nor who complained without consent."""
    return {**_case_values(case, show_complainant), "what_happened": "", "outcome_sought": ""}


def period(deadline) -> str:
    """A deadline's length in words: "30 days", "3 months", "10 business days"."""
    parts = []
    if deadline.months:
        parts.append(f"{deadline.months} month{'s' if deadline.months != 1 else ''}")
    if deadline.days or not parts:
        kind = "business day" if deadline.count != "calendar" else "day"
        parts.append(f"{deadline.days} {kind}{'s' if deadline.days != 1 else ''}")
    return " and ".join(parts)


def _body_values(organization) -> dict:
    return {
        "name": organization.name,
        "short_name": organization.short_name,
        # Read when the wording shows it (a template calls it): Ombuds' own wordings do not.
        "citation_prefix": lambda: citation_prefix(organization),
        "acronym": organization.acronym,
        "contact_email": organization.contact_email,
        "website": organization.website,
    }


def _input_values(inputs: dict, step) -> dict:
    """A step's inputs as plain values: text, numbers and dates (a date input given as text, such
    as 2025-04-30, is read as the date, so that the wording can format it)."""
    dates = {i.name for i in step.inputs if i.kind == "date"} if step is not None else set()
    values = {}
    for name, value in inputs.items():
        if name in dates and isinstance(value, str):
            value = parse_date(value) or value
        if isinstance(value, str | int | float | dt.date):
            values[name] = value
    return values


def _named(thing) -> dict:
    return {"name": thing.name, "label": thing.label}


def _allegation_values(allegation) -> dict:
    return {
        "position": allegation.position,
        "summary": allegation.summary,
        "provisions": _Items(
            {
                "citation": p.citation,
                "cite_as": cite(allegation.case.organization, p.citation),
                "heading": p.heading,
                "text": p.text,
                "full_text": p.full_text,
            }
            for p in allegation.provisions.all()
        ),
        "determination": allegation.determination,
        "get_determination_display": allegation.get_determination_display(),
        "reasons": allegation.reasons,
    }


def _sanction_view(choice) -> dict | None:
    if choice is None:
        return None
    return {
        "kind_label": dict(Sanction.Kind.choices).get(choice.kind, choice.kind),
        "summary": choice.summary,
        "effective_from": choice.effective_from,
        "effective_until": choice.effective_until,
        "conditions": choice.conditions,
        "amount": choice.amount,
        "currency": choice.currency,
        "due_on": choice.due_on,
    }
