"""marshmallow schemas for the HTTP API: they parse input strictly (unknown fields → 422) and shape output."""

import unicodedata
from datetime import date

import marshmallow as ma
from flask import current_app
from marshmallow import validate

from api.blueprints import MAX_ID
from referrals.contact import TEXT_LIMITS as CONTACT_LIMITS
from referrals.models import CALL_CHANNELS
from safe_text.controls import MESSAGE as CONTROLS_MESSAGE
from safe_text.controls import without_controls
from triage import TIERS, URGENCIES

BORN_SINCE_1900 = validate.Range(min=date(1900, 1, 1), error="date_of_birth must be after 1900")
RESIDENT_FLAGS = (
    "shielding",
    "lives_alone",
    "disabled",
    "has_children",
    "no_phone",
    "hearing_impaired",
    "carer",
)
OUTCOME_CODE = validate.Regexp(
    r"^[a-z][a-z0-9_]{0,39}$", error="outcome codes are lower-case words joined by _"
)
# A query string's text is one line without control characters (`api.blueprints.refuse_bad_input` refuses
# them at the door; this says so in the OpenAPI schema).
ONE_LINE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error=CONTROLS_MESSAGE)
NEED_CODE = validate.Regexp(r"^[a-z][a-z_]{1,39}$", error="need codes are lower-case words joined by _")


def clean_text(value):
    """NFC-normalise text at every depth. Control characters, which the doors refuse first
    (`api.blueprints.refuse_bad_input`, `web.errors`), are dropped for what loads a schema directly."""
    if isinstance(value, str):
        return without_controls(unicodedata.normalize("NFC", value))
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    return value


class StrictBoolean(ma.fields.Boolean):
    """JSON true or false only: not 0, 1, "yes" or "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class InSchema(ma.Schema):
    """Input: unknown fields are refused (marshmallow's default, RAISE); the limits in the OpenAPI schema are
    checked on the text as sent, then the text is normalised (NFC)."""

    @ma.post_load
    def normalise_text(self, data, **_kwargs):
        return clean_text(data)


class FlagsSchema(InSchema):
    class Meta:
        ordered = True

    for _flag in RESIDENT_FLAGS:
        locals()[_flag] = StrictBoolean(load_default=False)
    del _flag


class ContactInSchema(InSchema):
    class Meta:
        ordered = True

    safe_to_contact = ma.fields.String(
        load_default="",
        validate=validate.OneOf(("yes", "no", "")),
        metadata={
            "description": "Is it safe to contact them as usual: yes, no (use safe_phone or safe_times "
            'only), or "" when not asked'
        },
    )
    safe_times = ma.fields.String(load_default="", validate=validate.Length(max=CONTACT_LIMITS["safe_times"]))
    safe_phone = ma.fields.String(
        load_default="",
        validate=validate.Length(max=CONTACT_LIMITS["safe_phone"]),
        metadata={"description": "The number to use when it is not their own"},
    )
    no_message = StrictBoolean(
        load_default=False,
        metadata={"description": "Do not leave a voicemail or a text that says who called"},
    )
    emergency_contact = ma.fields.String(
        load_default="", validate=validate.Length(max=CONTACT_LIMITS["emergency_contact"])
    )
    access_notes = ma.fields.String(
        load_default="",
        validate=validate.Length(max=CONTACT_LIMITS["access_notes"]),
        metadata={"description": "Key safe, pets, which door: shown like the call notes, after acceptance"},
    )
    language = ma.fields.String(load_default="", validate=validate.Length(max=CONTACT_LIMITS["language"]))
    communication_needs = ma.fields.String(
        load_default="", validate=validate.Length(max=CONTACT_LIMITS["communication_needs"])
    )


class ResidentInSchema(InSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = ma.fields.String(load_default="", validate=validate.Length(max=40))
    postcode = ma.fields.String(required=True, validate=validate.Length(min=2, max=16))
    address = ma.fields.String(load_default="", validate=validate.Length(max=500))
    date_of_birth = ma.fields.Date(load_default=None, allow_none=True, validate=BORN_SINCE_1900)
    flags = ma.fields.Nested(FlagsSchema, load_default=dict)
    contact = ma.fields.Nested(ContactInSchema, load_default=dict)
    for _flag in RESIDENT_FLAGS:
        locals()[_flag] = StrictBoolean(
            load_only=True, metadata={"description": f"shorthand for flags.{_flag}"}
        )
    del _flag

    @ma.post_load
    def merge_flag_shorthands(self, data, **_kwargs):
        flags = dict(data.get("flags") or {})
        for flag in RESIDENT_FLAGS:
            if flag in data:
                shorthand = data.pop(flag)
                flags[flag] = flags.get(flag, False) or shorthand
        data["flags"] = {flag: bool(flags.get(flag, False)) for flag in RESIDENT_FLAGS}
        return data


class RecurrenceSchema(InSchema):
    every_days = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=90))
    count = ma.fields.Integer(required=True, validate=validate.Range(min=2, max=52))


class ReferralInSchema(InSchema):
    channel = ma.fields.String(required=True, validate=validate.OneOf(CALL_CHANNELS))
    resident = ma.fields.Nested(ResidentInSchema, required=True)
    notes = ma.fields.String(
        load_default="",
        validate=validate.Length(max=5000),
        metadata={"description": "Private call notes: shown only to those who may see the person's details"},
    )
    summary = ma.fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={
            "description": "What the helper needs to know, written or confirmed by the call-taker: shown to "
            "an organisation before it accepts, so no names, addresses or health details"
        },
    )
    needs = ma.fields.List(
        ma.fields.String(validate=NEED_CODE), load_default=list, validate=validate.Length(max=20)
    )
    consent_to_share = StrictBoolean(required=True)
    recurrence = ma.fields.Nested(
        RecurrenceSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "Recurring support, e.g. a weekly check-in call for six weeks"},
    )
    resident_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Attach the call to a person already known (from possible_duplicates)"},
    )
    new_person = StrictBoolean(
        load_default=False,
        metadata={"description": "The caller is none of the possible_duplicates a 409 listed: a new person"},
    )
    no_contact_reason = ma.fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "Required, in words, when there is no phone number and no address"},
    )

    @ma.validates_schema
    def notes_or_needs(self, data, **_kwargs):
        if not data.get("notes", "").strip() and not data.get("needs"):
            raise ma.ValidationError("give the call notes or at least one need code", "notes")


class LocationSchema(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    precision = ma.fields.String(
        metadata={"description": "postcode, or outcode when only the district is known"}
    )


_LOCATION = LocationSchema()  # built once: a schema's fields are copied on every construction


class ResidentOutSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String()
    postcode = ma.fields.String()
    outcode = ma.fields.String()
    address = ma.fields.String()
    date_of_birth = ma.fields.Date(allow_none=True)
    flags = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean())
    contact = ma.fields.Dict(
        metadata={
            "description": "How to reach them safely and what a helper must know at the door (only what was "
            "given: safe_to_contact, safe_times, safe_phone, no_message, emergency_contact, access_notes, "
            "language, communication_needs)"
        }
    )
    area = ma.fields.String(allow_none=True)
    location = ma.fields.Method("_location", metadata={"type": "object"})

    def _location(self, resident):
        if not hasattr(resident, "lat"):
            return None
        return _LOCATION.dump({"lat": resident.lat, "lon": resident.lon, "precision": resident.geo_precision})


class ReasonSchema(ma.Schema):
    rule = ma.fields.String()
    conclusion = ma.fields.String()
    evidence = ma.fields.String()
    detail = ma.fields.String()


class DecisionSchema(ma.Schema):
    tier = ma.fields.String(validate=validate.OneOf(TIERS))
    needs = ma.fields.List(ma.fields.String())
    safeguarding = ma.fields.Boolean()
    urgency = ma.fields.String(validate=validate.OneOf(URGENCIES))
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    rules_version = ma.fields.String()


class DuplicateSchema(ma.Schema):
    resident_id = ma.fields.Integer()
    score = ma.fields.Float()
    matched_fields = ma.fields.List(ma.fields.String())
    field_scores = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())


class OfferOutSchema(ma.Schema):
    id = ma.fields.Integer()
    org_id = ma.fields.Integer()
    volunteer_id = ma.fields.Integer(allow_none=True)
    tier = ma.fields.String()
    kind = ma.fields.String(
        metadata={
            "description": "cascade (matching offered it), transfer (an organisation handed it on) or "
            "pass_on (the holder offered the work to its volunteer or a group, keeping the referral)"
        }
    )
    status = ma.fields.String()
    task_code = ma.fields.String(allow_none=True)
    expires_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()


class TimelineEventSchema(ma.Schema):
    seq = ma.fields.Integer()
    kind = ma.fields.String()
    at = ma.fields.DateTime(attribute="created_at")
    actor = ma.fields.String()
    actor_role = ma.fields.String()
    actor_org_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String()
    data = ma.fields.Dict(attribute="payload")


class CandidateOutSchema(ma.Schema):
    kind = ma.fields.String()
    org_id = ma.fields.Integer(allow_none=True)
    volunteer_id = ma.fields.Integer(allow_none=True)
    tier = ma.fields.String()
    action = ma.fields.String()
    data_sharing = ma.fields.String()
    score = ma.fields.Float()
    distance_km = ma.fields.Float(allow_none=True)
    reasons = ma.fields.List(ma.fields.String())


class OccurrenceSchema(ma.Schema):
    index = ma.fields.Integer()
    due_at = ma.fields.String()
    outcome_code = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)


def _outcomes():
    return current_app.extensions["oneroute"].outcomes


class OutcomeChoiceSchema(ma.Schema):
    code = ma.fields.String()
    label = ma.fields.String()
    result = ma.fields.String(metadata={"description": "helped, referred_on or not_helped"})


def outcome_list(codes) -> list[dict]:
    outcomes = _outcomes()
    return [
        {
            "code": code,
            "label": outcomes.label(code),
            "result": found.result if (found := outcomes.get(code)) else None,
        }
        for code in codes or []
    ]


class ReferralOutSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    channel = ma.fields.String()
    personal_details = ma.fields.Boolean(
        metadata={
            "description": "Whether you see the person's details, the call notes and the words triage "
            "quoted (an organisation: once it has accepted, never as an arm's-length group, and without "
            "consent only the council's own teams); otherwise resident shows only the district and notes "
            "is null"
        }
    )
    resident = ma.fields.Nested(ResidentOutSchema)
    notes = ma.fields.String(allow_none=True)
    no_contact_reason = ma.fields.String(
        allow_none=True, metadata={"description": "Why there is no phone number or address (like notes)"}
    )
    summary = ma.fields.String(
        metadata={"description": "What the helper needs to know (shown before accepting)"}
    )
    given_needs = ma.fields.List(ma.fields.String())
    needs = ma.fields.List(ma.fields.String())
    consent_to_share = ma.fields.Boolean()
    tier = ma.fields.String(allow_none=True)
    urgency = ma.fields.String(allow_none=True)
    safeguarding = ma.fields.Boolean()
    area = ma.fields.String(allow_none=True)
    owner_org_id = ma.fields.Integer(allow_none=True)
    safety_net_org_id = ma.fields.Integer(allow_none=True)
    accepted_org_id = ma.fields.Integer(allow_none=True)
    volunteer_id = ma.fields.Integer(allow_none=True)
    assigned_org_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "A group doing the work for the organisation that holds it (passed on)"},
    )
    signposted_org_id = ma.fields.Integer(allow_none=True)
    gap = ma.fields.Boolean()
    unmet_needs = ma.fields.List(ma.fields.String())
    current_offer = ma.fields.Nested(OfferOutSchema, allow_none=True)
    plan = ma.fields.Dict(allow_none=True)
    occurrences = ma.fields.List(ma.fields.Nested(OccurrenceSchema))
    timeline = ma.fields.List(ma.fields.Nested(TimelineEventSchema))
    triage = ma.fields.Nested(DecisionSchema, allow_none=True)
    linked_referral_id = ma.fields.Integer(allow_none=True)
    outcome_code = ma.fields.String(allow_none=True, metadata={"description": "The first of outcome_codes"})
    outcome_codes = ma.fields.List(
        ma.fields.String(), metadata={"description": "Every outcome recorded when it was completed or closed"}
    )
    outcomes = ma.fields.Function(
        lambda referral: outcome_list(referral.outcome_codes),
        metadata={"description": "The same, in words: what came of the referral (told to whoever referred)"},
    )
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ReferralCreatedSchema(ReferralOutSchema):
    possible_duplicates = ma.fields.List(
        ma.fields.Nested(DuplicateSchema),
        metadata={
            "description": "People already known who may be this caller; re-send with resident_id to attach"
            " (never shown to partner referrers)"
        },
    )
    duplicate_check = ma.fields.String(
        allow_none=True,
        metadata={"description": "For partner referrers: the helpline checks whether the person is known"},
    )


class PreviewResidentSchema(InSchema):
    name = ma.fields.String(validate=validate.Length(max=200))
    phone = ma.fields.String(validate=validate.Length(max=40))
    postcode = ma.fields.String(validate=validate.Length(max=16))
    address = ma.fields.String(validate=validate.Length(max=500))
    date_of_birth = ma.fields.Date(allow_none=True)
    flags = ma.fields.Nested(FlagsSchema, load_default=dict)


class PreviewInSchema(InSchema):
    notes = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    needs = ma.fields.List(
        ma.fields.String(validate=NEED_CODE), load_default=list, validate=validate.Length(max=20)
    )
    resident = ma.fields.Nested(PreviewResidentSchema, load_default=dict)


class PreviewOutSchema(DecisionSchema):
    possible_duplicates = ma.fields.List(ma.fields.Nested(DuplicateSchema))


class RetriageInSchema(InSchema):
    notes_addendum = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    tier = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TIERS))
    safeguarding = StrictBoolean(load_default=None, allow_none=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class ReasonInSchema(InSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ConsentInSchema(InSchema):
    consent_to_share = StrictBoolean(required=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class NoBodySchema(InSchema):
    pass


class OutcomeInSchema(InSchema):
    """Completing or closing: one outcome or several, from config/outcomes.yaml (GET …/referrals/outcomes)."""

    outcome_codes = ma.fields.List(
        ma.fields.String(validate=[validate.Length(min=1, max=40), OUTCOME_CODE]),
        load_default=None,
        metadata={"example": ["shopping_delivered", "prescription_collected"]},
    )
    outcome_code = ma.fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=40), OUTCOME_CODE],
        metadata={"description": "One outcome; or give outcome_codes for several"},
    )
    note = ma.fields.String(load_default="", validate=validate.Length(max=2000))

    @ma.validates_schema
    def known_outcomes(self, data, **_kwargs):
        codes = data.get("outcome_codes")
        if codes is not None and data.get("outcome_code") is not None:
            raise ma.ValidationError("give outcome_codes or outcome_code, not both", "outcome_codes")
        if codes is None:
            codes = [data["outcome_code"]] if data.get("outcome_code") is not None else []
        problem = _outcomes().problem(codes)
        if problem:
            raise ma.ValidationError(
                problem, "outcome_codes" if data.get("outcome_codes") is not None else "outcome_code"
            )

    @ma.post_load
    def as_codes(self, data, **_kwargs):
        codes = tuple(data["outcome_codes"] or [data["outcome_code"]])
        return {"outcome_codes": codes, "outcome_code": codes[0], "note": data["note"]}


class OccurrenceOutcomeInSchema(InSchema):
    outcome_code = ma.fields.String(required=True, validate=[validate.Length(min=1, max=40), OUTCOME_CODE])
    note = ma.fields.String(load_default="", validate=validate.Length(max=2000))

    @ma.validates_schema
    def known_outcome(self, data, **_kwargs):
        problem = _outcomes().problem([data["outcome_code"]]) if "outcome_code" in data else None
        if problem:
            raise ma.ValidationError(problem, "outcome_code")


class TransferInSchema(InSchema):
    to_org_id = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PassOnInSchema(InSchema):
    volunteer_id = ma.fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "One of your organisation's own volunteers (or give org_id)"},
    )
    org_id = ma.fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "A mutual-aid group you work with (or give volunteer_id)"},
    )
    reason = ma.fields.String(load_default="", validate=validate.Length(max=1000))

    @ma.validates_schema
    def one_target(self, data, **_kwargs):
        if (data.get("volunteer_id") is None) == (data.get("org_id") is None):
            raise ma.ValidationError("give either volunteer_id or org_id", "volunteer_id")


class PassOnTargetSchema(ma.Schema):
    key = ma.fields.String(metadata={"example": "volunteer:12"})
    volunteer_id = ma.fields.Integer(allow_none=True, metadata={"description": "Send as volunteer_id, or..."})
    org_id = ma.fields.Integer(
        attribute="org.id", metadata={"description": "...a group's id, sent as org_id (volunteer_id null)"}
    )
    name = ma.fields.String()
    detail = ma.fields.String(metadata={"description": "How a volunteer fits: distance, skills"})


class QueueReferralSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    tier = ma.fields.String(allow_none=True)
    needs = ma.fields.List(ma.fields.String())
    urgency = ma.fields.String(allow_none=True)
    safeguarding = ma.fields.Boolean()
    gap = ma.fields.Boolean()
    unmet_needs = ma.fields.List(ma.fields.String())
    area = ma.fields.String(allow_none=True)
    outcode = ma.fields.String(attribute="resident.outcode")
    owner_org_id = ma.fields.Integer(allow_none=True)
    outcome_codes = ma.fields.List(ma.fields.String())
    outcomes = ma.fields.Function(
        lambda referral: outcome_list(referral.outcome_codes),
        metadata={"description": "What came of it, once completed or closed"},
    )
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class QueueItemSchema(ma.Schema):
    referral = ma.fields.Nested(QueueReferralSchema)
    offer = ma.fields.Nested(OfferOutSchema, allow_none=True)
    seconds_left = ma.fields.Integer(allow_none=True)
    held_by = ma.fields.String(
        metadata={
            "example": "Offered to Sutton Community Hub; Sutton Council safety net holds it until they accept"
        }
    )
    due_at = ma.fields.DateTime(
        allow_none=True,
        metadata={"description": "When the next answer or action is due (null: no time limit)"},
    )
    due_what = ma.fields.String(metadata={"example": "Sutton Community Hub to answer"})
    due_seconds_left = ma.fields.Integer(allow_none=True, metadata={"description": "Negative when late"})


class RoutingProblemSchema(QueueItemSchema):
    problem = ma.fields.String(metadata={"description": "What went wrong when the call was routed"})
    error = ma.fields.String(metadata={"description": "The kind of error, e.g. MatchingConfigError"})
    at = ma.fields.DateTime()


class FollowUpSchema(ma.Schema):
    id = ma.fields.Integer()
    referral_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "missed_visit or no_answer"})
    occurrence_index = ma.fields.Integer(
        metadata={"description": "Which time of the plan (0 is the first; 0 for a one-off call)"}
    )
    status = ma.fields.String(metadata={"description": "open, escalated (the safety net's) or done"})
    due_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()


class FollowUpItemSchema(ma.Schema):
    task = ma.fields.Nested(FollowUpSchema)
    what = ma.fields.String(
        metadata={"example": "No answer on a check-in call or visit: try again today (time 2 of 6)"}
    )


class FollowUpDoneSchema(InSchema):
    note = ma.fields.String(
        load_default="", validate=validate.Length(max=2000), metadata={"description": "What was done"}
    )
    outcome = ma.fields.String(
        load_default="",
        validate=validate.OneOf(["", "reached", "no_answer"]),
        metadata={
            "description": "For a follow-up of a call nobody answered: 'reached' if you reached them this "
            "time, 'no_answer' if not (the second no answer in a row goes to the safety net)"
        },
    )


class WebhookInSchema(InSchema):
    url = ma.fields.String(
        required=True,
        validate=validate.Length(min=8, max=2000),
        metadata={"example": "https://partner.example/one-route-in/events"},
    )


class WebhookSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    created_at = ma.fields.DateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = ma.fields.String(
        metadata={"description": "Signs every post (HMAC-SHA256); shown only in this answer: keep it safe"}
    )


class QueueSchema(ma.Schema):
    offers = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    work = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    escalated = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    follow_ups = ma.fields.List(
        ma.fields.Nested(FollowUpItemSchema),
        metadata={"description": "Open follow-ups of referrals your organisation holds or does"},
    )
    referred = ma.fields.List(
        ma.fields.Nested(QueueItemSchema),
        metadata={
            "description": "A partner's own referrals, newest first (200 at most): where each is now, and "
            "what came of it once finished (referral.outcomes)"
        },
    )


class LoweredTierSchema(QueueItemSchema):
    from_tier = ma.fields.String(metadata={"description": "The tier before a person lowered it"})
    to_tier = ma.fields.String(metadata={"description": "The tier they lowered it to"})
    by = ma.fields.String(metadata={"description": "Who lowered it (as in the audit trail)"})
    by_role = ma.fields.String()
    at = ma.fields.DateTime()


class LateItemSchema(QueueItemSchema):
    kind = ma.fields.String(
        metadata={
            "description": "offer, transfer, escalation, missed_call, follow_up, phone_task, lowered_tier "
            "or possible_duplicate"
        }
    )
    what = ma.fields.String(metadata={"example": "Escalation not acted on in time"})
    late_since = ma.fields.DateTime(allow_none=True, metadata={"description": "null: waiting, no deadline"})


class PhoneTaskSchema(ma.Schema):
    id = ma.fields.Integer()
    phone = ma.fields.String()
    reason = ma.fields.String()
    status = ma.fields.String()
    referral_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()


class PhoneTaskItemSchema(ma.Schema):
    task = ma.fields.Nested(PhoneTaskSchema)


class DashboardSchema(ma.Schema):
    overdue_offers = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    escalations = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    open_safeguarding = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    gaps = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    lowered_tiers = ma.fields.List(
        ma.fields.Nested(LoweredTierSchema),
        metadata={"description": "Open referrals whose tier a person lowered, newest first (why: audit)"},
    )
    routing_problems = ma.fields.List(
        ma.fields.Nested(RoutingProblemSchema),
        metadata={"description": "Calls saved although routing failed, held by the safety-net team"},
    )
    late = ma.fields.List(
        ma.fields.Nested(LateItemSchema),
        metadata={"description": "Everything late or waiting on the safety net, most overdue first"},
    )
    phone_tasks = ma.fields.List(ma.fields.Nested(PhoneTaskItemSchema))
    follow_ups = ma.fields.List(
        ma.fields.Nested(FollowUpItemSchema),
        metadata={"description": "Follow-ups not done in your council (escalated too), soonest due first"},
    )
    unowned_count = ma.fields.Integer()
    totals = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={
            "description": "How many each list has in all (late, overdue_offers, escalations, "
            "open_safeguarding, "
            "gaps, routing_problems): each list above holds its first 20, most overdue or oldest first; "
            "GET /api/v1/safety-net/lists/{list_name} gives a list in full, a page at a time",
            "example": {"late": 412, "escalations": 37},
        },
    )


class DashboardListQuerySchema(InSchema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ID))


class DashboardListSchema(ma.Schema):
    """One of the dashboard's lists, a page at a time: the page's items under the list's own name (as in
    the dashboard), with where the page stands in the whole list."""

    list = ma.fields.String(metadata={"description": "Which list: the name asked for"})
    page = ma.fields.Integer()
    pages = ma.fields.Integer(metadata={"description": "How many pages the list has (at least 1)"})
    per_page = ma.fields.Integer()
    total = ma.fields.Integer(metadata={"description": "How many items the list has in all"})
    late = ma.fields.List(ma.fields.Nested(LateItemSchema))
    overdue_offers = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    escalations = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    open_safeguarding = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    gaps = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    routing_problems = ma.fields.List(ma.fields.Nested(RoutingProblemSchema))


class AuditQuerySchema(InSchema):
    referral = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))


class VerifySchema(ma.Schema):
    ok = ma.fields.Boolean()
    count = ma.fields.Integer()
    head_hash = ma.fields.String()
    first_bad_seq = ma.fields.Integer(allow_none=True)
    problem = ma.fields.String(allow_none=True)


class KnownPersonSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    postcode = ma.fields.String()
    address = ma.fields.String()
    date_of_birth = ma.fields.Date(allow_none=True)


class CandidatePersonSchema(DuplicateSchema):
    person = ma.fields.Nested(KnownPersonSchema)


class RepeatCallerSchema(ma.Schema):
    referral_id = ma.fields.Function(lambda item: item.referral.id)
    status = ma.fields.Function(lambda item: item.referral.status)
    channel = ma.fields.Function(lambda item: item.referral.channel)
    logged_at = ma.fields.DateTime()
    person = ma.fields.Function(lambda item: KnownPersonSchema().dump(item.referral.resident))
    candidates = ma.fields.Function(
        lambda item: [
            {**DuplicateSchema().dump(m), "person": KnownPersonSchema().dump(item.people[m.resident_id])}
            for m in item.candidates
            if m.resident_id in item.people
        ],
        metadata={"description": "The people already known this call may be (CandidatePersonSchema)"},
    )


class RepeatCallerInSchema(InSchema):
    same_as = ma.fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "The known person this call is (one of its candidates), or null"},
    )
