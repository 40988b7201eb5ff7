"""The static tables behind the demo directory. Every organisation and person here is invented."""

from dataclasses import dataclass

DEMO_NOTICE = "Fictional demo organisation: not a real service. Do not refer real residents."

VOLUNTEER_PHONE_PREFIX = "+447700900"  # Ofcom's drama range for mobiles, 07700 900000-900999
LONDON_DRAMA_PREFIX = "+442079460"  # 020 7946 0000-0999
NON_GEOGRAPHIC_DRAMA_PREFIX = "+441632960"  # 01632 960000-960999

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAYS[:5]
SLOTS = ("morning", "afternoon", "evening")

ALL_SERVICES = (
    "shopping",
    "prescriptions",
    "food",
    "befriending",
    "dog_walking",
    "errands",
    "transport",
    "digital",
    "financial",
    "housing",
    "mental_health",
    "personal_care",
    "advice",
)


@dataclass(frozen=True)
class DemoArea:
    code: str
    admin_district_code: str
    org_phone_prefix: str
    org_phone_start: int
    volunteer_phone_start: int
    volunteers: int


AREAS = (
    DemoArea("sutton", "E09000029", LONDON_DRAMA_PREFIX, 100, 200, 120),
    DemoArea("coventry", "E08000026", NON_GEOGRAPHIC_DRAMA_PREFIX, 100, 400, 120),
    DemoArea("buckinghamshire", "E06000060", NON_GEOGRAPHIC_DRAMA_PREFIX, 300, 600, 120),
)


@dataclass(frozen=True)
class OrgSpec:
    """One organisation. `coverage` lists outcodes; empty means the whole area unless `radius_km` is set."""

    key: str
    kind: str
    name: str
    base_outcode: str
    services: tuple[str, ...]
    hours: str
    capacity: int
    blurb: str
    coverage: tuple[str, ...] = ()
    radius_km: float | None = None
    mode: str | None = None
    min_age: int | None = None
    max_age: int | None = None


def _every(days: tuple[str, ...], *sessions: tuple[str, str]) -> dict[str, list[list[str]]]:
    return {day: [list(session) for session in sessions] for day in days}


OPENING_HOURS: dict[str, dict[str, list[list[str]]] | None] = {
    "always": None,
    "office": _every(WEEKDAYS, ("09:00", "17:00")),
    "hub": {**_every(WEEKDAYS, ("09:00", "17:00")), "sat": [["10:00", "13:00"]]},
    "food_bank": {
        "tue": [["10:00", "13:00"]],
        "thu": [["10:00", "13:00"], ["17:00", "19:00"]],
        "sat": [["10:00", "12:00"]],
    },
    "advice": {**_every(WEEKDAYS[:4], ("09:30", "16:30")), "fri": [["09:30", "13:00"]]},
    "wellbeing": {**_every(WEEKDAYS, ("10:00", "16:00")), "wed": [["10:00", "16:00"], ["18:00", "21:00"]]},
    "transport": _every(WEEKDAYS, ("08:00", "18:00")),
    "mutual_aid": _every(DAYS, ("08:00", "20:00")),
}

SAFETY_NET_SERVICES = ("personal_care", "housing", "financial", "food", "mental_health", "advice")
HUB_SERVICES = ("shopping", "prescriptions", "food", "befriending", "errands", "digital", "advice")
MUTUAL_AID_SERVICES = ("shopping", "prescriptions", "errands", "dog_walking", "befriending", "food")
BROKER_SERVICES = tuple(code for code in ALL_SERVICES if code != "personal_care")


def _safety_net(council: str, base: str) -> OrgSpec:
    return OrgSpec(
        "safety_net",
        "safety_net",
        f"{council} Community Safety Net Team",
        base,
        SAFETY_NET_SERVICES,
        "always",
        250,
        "The council's statutory safety net: adult social care, emergency housing, welfare grants and "
        "emergency food for people with nowhere else to turn. Staffed around the clock.",
    )


def _hub(key: str, name: str, base: str, coverage: tuple[str, ...]) -> OrgSpec:
    return OrgSpec(
        key,
        "hub",
        name,
        base,
        HUB_SERVICES,
        "hub",
        60,
        "Community hub: takes referrals for its neighbourhoods, matches local volunteers and signposts.",
        coverage=coverage,
    )


def _vcs_set(place: str, base: str, names: dict[str, str]) -> list[OrgSpec]:
    return [
        OrgSpec(
            "food_bank",
            "vcs",
            names["food_bank"],
            base,
            ("food",),
            "food_bank",
            40,
            "Food bank: emergency food parcels, with delivery for people who cannot collect.",
        ),
        OrgSpec(
            "mental_health",
            "vcs",
            names["mental_health"],
            base,
            ("mental_health", "befriending"),
            "wellbeing",
            25,
            "Mental-health charity: listening line, peer support and regular wellbeing calls for adults.",
            min_age=18,
        ),
        OrgSpec(
            "older_people",
            "vcs",
            names["older_people"],
            base,
            ("befriending", "shopping", "errands", "digital", "advice", "personal_care"),
            "office",
            30,
            "Older people's charity: befriending calls, help at home and information for people over 60.",
            min_age=60,
        ),
        OrgSpec(
            "advice",
            "vcs",
            names["advice"],
            base,
            ("advice", "financial", "housing"),
            "advice",
            35,
            "Advice centre: debt, benefits, housing and employment advice by phone and appointment.",
            min_age=16,
        ),
        OrgSpec(
            "digital",
            "vcs",
            names["digital"],
            base,
            ("digital",),
            "office",
            20,
            f"Digital inclusion project: lends tablets and talks {place} residents through getting online.",
        ),
    ]


def _transport(name: str, base: str, radius_km: float) -> OrgSpec:
    return OrgSpec(
        "transport",
        "vcs",
        name,
        base,
        ("transport", "prescriptions"),
        "transport",
        15,
        "Community transport: volunteer drivers for medical appointments and essential journeys.",
        radius_km=radius_km,
    )


def _mutual_aid(
    key: str, name: str, base: str, mode: str, coverage: tuple[str, ...] = (), radius_km: float | None = None
) -> OrgSpec:
    relationship = {
        "integrated": "works inside the council's response and takes referrals through it",
        "supported": "is independent but takes referrals and support from its hub",
        "arms_length": "runs itself; the council signposts residents to it and shares no data",
    }[mode]
    return OrgSpec(
        key,
        "mutual_aid",
        name,
        base,
        MUTUAL_AID_SERVICES,
        "mutual_aid",
        20,
        f"Neighbourhood mutual-aid group that {relationship}.",
        coverage=coverage,
        radius_km=radius_km,
        mode=mode,
    )


ORGANISATIONS: dict[str, list[OrgSpec]] = {
    "sutton": [
        _safety_net("Sutton Council", "SM1"),
        _hub("hub_central", "Sutton Central Community Hub", "SM1", ("SM1", "SM2", "SM7")),
        _hub("hub_carshalton", "Carshalton & Wallington Community Hub", "SM5", ("SM5", "SM6")),
        _hub("hub_cheam", "Cheam & Worcester Park Community Hub", "SM3", ("SM3", "SM4")),
        *_vcs_set(
            "Sutton",
            "SM1",
            {
                "food_bank": "Sutton Community Larder",
                "mental_health": "Sutton Minds Together",
                "older_people": "Silver Links Sutton",
                "advice": "Sutton Money & Housing Advice Centre",
                "digital": "Sutton Get Online Project",
            },
        ),
        _transport("Sutton Wheels Community Transport", "SM5", 8.0),
        _mutual_aid("ma_central", "Sutton Town Street Helpers", "SM1", "integrated", ("SM1", "SM2")),
        _mutual_aid("ma_carshalton", "Carshalton Kettle & Kindness", "SM5", "supported", ("SM5",)),
        _mutual_aid(
            "ma_wallington", "Wallington Good Neighbours Circle", "SM6", "arms_length", radius_km=2.5
        ),
        _mutual_aid("ma_cheam", "Cheam Village Helping Hands", "SM3", "supported", radius_km=2.0),
        _mutual_aid("ma_belmont", "Belmont Lane Neighbours", "SM2", "arms_length", ("SM2", "SM7")),
    ],
    "coventry": [
        _safety_net("Coventry City Council", "CV1"),
        _hub("hub_north", "Coventry North Community Hub", "CV6", ("CV1", "CV6", "CV7")),
        _hub("hub_east", "Coventry East Community Hub", "CV2", ("CV2", "CV3")),
        _hub("hub_west", "Coventry West Community Hub", "CV5", ("CV4", "CV5", "CV8")),
        *_vcs_set(
            "Coventry",
            "CV1",
            {
                "food_bank": "Coventry Shared Table Food Bank",
                "mental_health": "Open Door Wellbeing Coventry",
                "older_people": "Evergreen Elders Coventry",
                "advice": "Coventry Money, Rights & Housing Advice Centre",
                "digital": "Coventry Digital Buddies",
            },
        ),
        _transport("Coventry Community Wheels", "CV3", 10.0),
        _mutual_aid("ma_earlsdon", "Earlsdon Lantern Neighbours", "CV5", "integrated", radius_km=2.0),
        _mutual_aid("ma_foleshill", "Foleshill Helping Hands Network", "CV6", "supported", ("CV6",)),
        _mutual_aid("ma_tile_hill", "Tile Hill & Canley Street Support", "CV4", "arms_length", ("CV4",)),
        _mutual_aid("ma_east", "Coventry East Neighbours Together", "CV2", "integrated", ("CV2",)),
        _mutual_aid(
            "ma_cheylesmore", "Cheylesmore & Whitley Kindness Crew", "CV3", "supported", radius_km=2.5
        ),
    ],
    "buckinghamshire": [
        _safety_net("Buckinghamshire Council", "HP19"),
        OrgSpec(
            "infrastructure",
            "infrastructure",
            "Bucks Community Action Network",
            "HP20",
            BROKER_SERVICES,
            "office",
            150,
            "Local infrastructure organisation: receives every voluntary-sector referral in the county and "
            "brokers it to the right charity, hub or mutual-aid group.",
        ),
        _hub(
            "hub_aylesbury",
            "Aylesbury Community Hub",
            "HP20",
            ("HP17", "HP18", "HP19", "HP20", "HP21", "HP22"),
        ),
        _hub("hub_north", "North Bucks Community Hub", "MK18", ("MK2", "MK3", "MK17", "MK18", "MK19")),
        _hub(
            "hub_wycombe",
            "Wycombe & Marlow Community Hub",
            "HP13",
            ("HP10", "HP11", "HP12", "HP13", "HP14", "HP15", "HP27", "SL7", "SL8"),
        ),
        _hub(
            "hub_chilterns",
            "Chilterns & South Bucks Community Hub",
            "HP6",
            (
                "HP4",
                "HP5",
                "HP6",
                "HP7",
                "HP8",
                "HP9",
                "HP16",
                "HP23",
                "SL0",
                "SL1",
                "SL2",
                "SL3",
                "SL4",
                "SL6",
                "SL9",
            ),
        ),
        *_vcs_set(
            "Buckinghamshire",
            "HP20",
            {
                "food_bank": "Bucks Harvest Food Bank",
                "mental_health": "Buckinghamshire Wellbeing Circle",
                "older_people": "Bucks Silver Companions",
                "advice": "Bucks Money & Housing Advice",
                "digital": "Bucks Digital Champions",
            },
        ),
        _transport("Chiltern Country Cars", "HP16", 15.0),
        _mutual_aid("ma_aylesbury", "Aylesbury Town Helpers", "HP20", "integrated", ("HP19", "HP20", "HP21")),
        _mutual_aid(
            "ma_wycombe", "High Wycombe Street Champions", "HP13", "supported", ("HP11", "HP12", "HP13")
        ),
        _mutual_aid("ma_chesham", "Chesham Neighbourly Hands", "HP5", "arms_length", radius_km=3.0),
        _mutual_aid("ma_marlow", "Marlow Riverside Neighbours", "SL7", "supported", ("SL7",)),
        _mutual_aid(
            "ma_buckingham", "Buckingham Market Square Helpers", "MK18", "arms_length", radius_km=4.0
        ),
        _mutual_aid("ma_risborough", "Risborough Good Turns", "HP27", "integrated", radius_km=3.0),
        _mutual_aid(
            "ma_chalfonts", "Amersham & Chalfonts Lend-a-Hand", "HP6", "integrated", ("HP6", "HP7", "HP8")
        ),
    ],
}

FIRST_NAMES = (
    "Aisha", "Alan", "Amara", "Andrzej", "Anjali", "Barbara", "Ben", "Bernadette", "Callum", "Chen",
    "Chloe", "Chidi", "Claire", "Dariusz", "Deborah", "Declan", "Deepa", "Eleanor", "Emeka", "Fatima",
    "Fiona", "Gareth", "Grace", "Harpreet", "Hassan", "Imran", "Isla", "Jack", "Jasmine", "Joanne",
    "Kwame", "Laura", "Leon", "Magdalena", "Marcus", "Margaret", "Mehmet", "Mohammed", "Nadia", "Niamh",
    "Olu", "Owen", "Patrick", "Priya", "Rachel", "Rajesh", "Rosa", "Ruth", "Samira", "Sean", "Shanice",
    "Simon", "Sofia", "Sunita", "Tariq", "Tom", "Valentina", "Wei", "Yasmin", "Zofia",
)  # fmt: skip

LAST_NAMES = (
    "Adebayo", "Ahmed", "Ali", "Bailey", "Bennett", "Brennan", "Campbell", "Chaudhry", "Clarke", "Cooper",
    "Da Silva", "Davies", "Edwards", "Evans", "Fernandes", "Fletcher", "Gill", "Green", "Hall", "Harris",
    "Hughes", "Hussain", "Jackson", "James", "Kaur", "Kowalski", "Lewis", "Lin", "Mahmood", "Marsh",
    "Mensah", "Morgan", "Murphy", "Nowak", "Obi", "O'Connor", "Okafor", "Osei", "Parker", "Patel",
    "Phillips", "Price", "Quinn", "Rahman", "Reid", "Roberts", "Robinson", "Shah", "Singh", "Taylor",
    "Thomas", "Turner", "Walsh", "Ward", "Watson", "Whitfield", "Wilson", "Wright", "Yilmaz", "Zhang",
)  # fmt: skip

# Skills any neighbour can offer, with how often volunteers list them.
EVERYDAY_SKILLS = {
    "shopping": 10,
    "prescriptions": 8,
    "errands": 7,
    "befriending": 7,
    "dog_walking": 5,
    "food": 4,
    "transport": 3,
    "digital": 3,
}
# Skills that come with training or a profession; rarely listed by mutual-aid volunteers.
SKILLED = ("advice", "financial", "housing", "mental_health")

# Chances of a current and of an expired DBS check, by the kind of group a volunteer belongs to.
DBS_ODDS = {
    "vcs": (0.6, 0.15),
    "hub": (0.6, 0.15),
    "infrastructure": (0.6, 0.15),
    "integrated": (0.4, 0.15),
    "supported": (0.3, 0.15),
    "arms_length": (0.1, 0.1),
}
DBS_VALID_DAYS = 3 * 365

# Share of each area's volunteers by the kind of group they join.
MEMBERSHIP_WEIGHTS = {"mutual_aid": 6, "hub": 2, "vcs": 2, "infrastructure": 1}

# How volunteers say when they are free: (days to pick from, how many of them, slots to pick from) per part.
AVAILABILITY_PROFILES = {
    "daytime": (4, [(WEEKDAYS, (2, 5), ("morning", "afternoon"))]),
    "after_work": (3, [(WEEKDAYS, (1, 4), ("evening",)), (("sat", "sun"), (0, 2), ("morning", "afternoon"))]),
    "weekends": (1, [(("sat", "sun"), (1, 2), SLOTS)]),
    "flexible": (3, [(DAYS, (3, 7), SLOTS)]),
}
