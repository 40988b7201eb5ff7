"""Precision and recall of duplicate-person detection at intake, on a generated set of repeat callers.

    python -m bench.duplicate_people [--people 2000] [--seed 1] [--variants 4] [--failures 0]

What it measures, and why: when someone rings the helpline again, intake must find the record made on the
first call (`referrals.residents.possible_duplicates`) instead of creating a second person, and must not
offer a relative, a neighbour or a namesake as "the same person". Unit tests pin single cases; this
benchmark measures the rate over many people with the variations real repeat calls have, so a change to
the matcher shows what it gains and what it costs.

The generator (seeded `random`, so a seed always gives the same set) makes households of UK residents:
English, Irish, Scottish, South Asian, African, Eastern and Southern European, East Asian and Middle
Eastern names drawn with Zipf-like weights (many shared surnames and first names), hyphenated names and
apostrophes (O'Brien), relatives sharing a surname, address and landline, mobile and landline numbers in
the formats people give them, postcode-shaped strings in the SM, CV, HP, MK and SL areas, addresses with
flats, and a date of birth for some. Each person then rings again as a labelled variant: nickname,
shortened first name, one-letter typo in the first name or surname, transposed letters, surname first,
title added, initial only, new phone, moved house (same mobile), phone in another format, no phone, no
date of birth, outcode only, day and month of birth swapped; each variant also gets the ordinary noise of
typing (abbreviated street words, postcode case and spacing, accents dropped, "O Brien"). Hard negatives
are people who must not match anyone: a relative (same surname, address and phone, another first name), a
relative whose first name looks like the person's (Paul and Paula, John and Joan, Daniel and Danielle), a
neighbour (same postcode), the same name in another area, a twin (same surname, address and date of birth).

Every query goes through the production pipeline minus the database: its blocking keys (`blocking_keys`)
select candidates from an inverted index over the base set, as the `resident_key` table does, and
`find_duplicates` scores them at the production threshold. True positive: the right person is among the
matches; false negative: they are not; false positive: each other person returned. A baseline measured in
the same run (the same phone normalised, or the exact same name and postcode) makes the numbers relative.
One JSON line per result; the exit status is 0 whatever the numbers (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from referrals.duplicates import (
    DEFAULT_THRESHOLD,
    PersonRecord,
    blocking_keys,
    find_duplicates,
    normalise_phone,
    normalise_postcode,
)
from referrals.residents import MAX_CANDIDATES  # candidates beyond it are never compared

TARGET_RECALL = 0.95
TARGET_PRECISION = 0.90

VARIANT_KINDS = (
    "nickname",
    "shortened_first_name",
    "typo_first_name",
    "typo_surname",
    "transposed_letters",
    "swapped_order",
    "title_added",
    "initial_only",
    "new_phone",
    "moved_house",
    "phone_format",
    "missing_phone",
    "missing_dob",
    "outcode_only",
    "dob_day_month_swapped",
)
NEGATIVE_KINDS = ("relative", "relative_similar_name", "neighbour", "same_name_elsewhere", "twin")

# --- names -------------------------------------------------------------------------------------------------
# (female first names, male first names, surnames) per origin, most common first.
ORIGINS = {
    "english": (
        "Margaret Susan Sarah Elizabeth Patricia Catherine Jennifer Mary Helen Karen Julie Christine Emma "
        "Dorothy Jean Joan Anne Barbara Linda Sandra Pamela Valerie Gillian Deborah Rebecca Jacqueline "
        "Victoria Samantha Abigail Amy Lucy Chloe Sophie Olivia Emily Jessica Hannah Charlotte Lauren "
        "Rachel Nicola Michelle Tracey Wendy Janet Brenda Shirley Sheila Irene Doreen Eileen Josephine "
        "Frances Beverley Kathleen Katherine Alison Claire Louise Diane Carol Ruth Jane Paula Marian",
        "John David Michael Paul Peter James Robert William Richard Thomas Christopher Mark Stephen "
        "Andrew Anthony Edward Joseph Daniel Matthew Philip Alexander Samuel Frederick Timothy Kenneth "
        "Ronald Raymond Leonard Terence Stanley Geoffrey Douglas Gerald Brian Gary Kevin Ian Keith Colin "
        "Graham Alan Derek Nigel Simon Neil Jack Harry George Oliver Charlie Liam Jonathan Nicholas "
        "Benjamin Gregory Albert Arthur Harold Walter Martin Trevor Dennis Roy",
        "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson "
        "Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Jackson Wood Turner Martin "
        "Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips "
        "Watson Davis Parker Price Bennett Young Griffiths Mitchell Cook Carter Richardson Bailey Collins "
        "Bell Shaw Miller Cox Richards Marshall Anderson Simpson Ellis Adams Wilkinson Foster Chapman "
        "Powell Webb Rogers Gray Mason Hunt Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler "
        "Russell Barker Fisher Stevens Jenkins Dixon Fletcher Cole Fox Lamb Day Booth Pearce Hart Frost "
        "Hope Ball Cross",
    ),
    "irish": (
        "Siobhan Niamh Aoife Sinead Bridget Ciara Mary Margaret Kathleen Maureen Eileen Roisin",
        "Sean Patrick Declan Ciaran Eoin Padraig Colm Brendan Michael John Kieran Liam",
        "Murphy Kelly O'Brien O'Connor O'Neill O'Sullivan Byrne Ryan McCarthy Doyle Walsh Gallagher "
        "O'Donnell McLaughlin O'Reilly Quinn",
    ),
    "scottish": (
        "Fiona Morag Isla Eilidh Catriona Agnes Margaret Elizabeth",
        "Hamish Angus Alistair Callum Duncan Fraser Ewan Robert James",
        "McDonald MacLeod Campbell Stewart Robertson Fraser MacKenzie McGregor Ross Murray",
    ),
    "south_asian": (
        "Fatima Aisha Ayesha Priya Sunita Anjali Nasreen Shazia Rukhsana Parveen Amrit Harpreet Jaspreet "
        "Gurpreet Nazia Sana Zainab Rubina Kiran Meena Shabana Yasmin Salma Shahida Hina",
        "Mohammed Muhammad Ahmed Imran Tariq Rajesh Sanjay Amit Vikram Harjit Gurdeep Sukhdev Arjun Rahul "
        "Zubair Bilal Hamza Asif Nadeem Shahid Faisal Kamal Abdul Abdullah Mohammad",
        "Patel Khan Ahmed Ali Hussain Begum Singh Kaur Shah Iqbal Akhtar Mahmood Rahman Sharma Gill Sandhu "
        "Bibi Chaudhry Malik Mistry Parmar Choudhury Islam Uddin Miah Kumar",
    ),
    "african": (
        "Ngozi Chioma Adaeze Abimbola Funmilayo Amara Ama Akua Efua Abena Fatou Aminata Mariama Hodan "
        "Faduma Amina Halima Blessing Precious Grace",
        "Chinedu Chukwuemeka Oluwaseun Olumide Babatunde Kwame Kofi Kwabena Yaw Adebayo Abdi Mohamed "
        "Abdirahman Mamadou Ibrahim Tendai Tafadzwa Emmanuel Samuel",
        "Okafor Okonkwo Adeyemi Adebayo Mensah Owusu Asante Boateng Osei Nwosu Eze Obi Abubakar Warsame "
        "Mohamud Diallo Balogun Ogunleye Moyo Appiah",
    ),
    "eastern_european": (
        "Agnieszka Katarzyna Małgorzata Anna Magdalena Joanna Ewa Aleksandra Ioana Andreea Elena Maria Olena "
        "Daria Jolanta Renata",
        "Piotr Krzysztof Tomasz Paweł Marek Łukasz Andrzej Jakub Mateusz Andrei Bogdan Mihai Vasile "
        "Oleksandr Dmytro",
        "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak "
        "Popescu Ionescu Popa Dumitru Kovalenko Shevchenko Horvat",
    ),
    "southern_european": (
        "Francesca Giulia Sofia Ana Inês Maria Chiara Lucia",
        "Giuseppe Marco Luca João Pedro José Antonio Giovanni",
        "Rossi Russo Ferrari Esposito Bianchi Silva Santos Ferreira Pereira Costa Rodrigues García "
        "Fernández López Papadopoulos",
    ),
    "east_asian": (
        "Mei Jing Hui Yan Xiaoling Lan Thi Anh Hoa",
        "Wei Ming Jun Hong Xiaoming Minh Tuan Jian",
        "Chen Wang Li Zhang Liu Wong Chan Ng Lam Nguyen Tran Le Pham Kim",
    ),
    "middle_eastern": (
        "Leila Mariam Noor Rania Zahra Layla Samira",
        "Omar Yusuf Hassan Ali Karim Reza Tariq Mustafa",
        "Al-Hashimi Haddad Hassan Abdullah Mansour Karimi Ahmadi Hosseini Rezaei Al-Sayed",
    ),
}
ORIGIN_WEIGHTS = {
    "english": 52,
    "irish": 6,
    "scottish": 4,
    "south_asian": 15,
    "african": 8,
    "eastern_european": 7,
    "southern_european": 3,
    "east_asian": 3,
    "middle_eastern": 2,
}
POOLS = {origin: tuple(part.split() for part in parts) for origin, parts in ORIGINS.items()}

# How people really shorten names (the benchmark's own lists, written from usage, not from the matcher's).
NICKNAMES = {
    "Margaret": "Maggie Peggy Meg Madge Maisie",
    "Elizabeth": "Liz Lizzie Beth Betty Libby Bess",
    "Patricia": "Pat Trish Patsy",
    "Susan": "Sue Susie Suzy",
    "Jennifer": "Jenny Jen",
    "Dorothy": "Dot Dolly Dottie",
    "Deborah": "Debbie Debs",
    "Rebecca": "Becky Becca",
    "Catherine": "Kate Cathy Kitty",
    "Katherine": "Kate Kathy Katie",
    "Kathleen": "Kathy Kay Katie",
    "Christine": "Chrissie Tina",
    "Barbara": "Babs",
    "Mary": "Molly Polly May",
    "Anne": "Annie",
    "Sarah": "Sally Sadie",
    "Helen": "Nell Nellie",
    "Sandra": "Sandy",
    "Victoria": "Vicky Tori",
    "Samantha": "Sammy",
    "Abigail": "Abby Gail",
    "Jacqueline": "Jackie Jacqui",
    "Josephine": "Josie Jo",
    "Frances": "Fanny Frankie",
    "Charlotte": "Lottie Charlie",
    "Eileen": "Ellie",
    "William": "Bill Billy Will Willie",
    "Robert": "Bob Bobby Rob Robbie Bert",
    "James": "Jim Jimmy Jamie",
    "John": "Johnny Jack",
    "Richard": "Dick Rick Ricky Richie",
    "Thomas": "Tom Tommy",
    "Edward": "Ted Teddy Eddie Ned",
    "Michael": "Mike Mick Micky",
    "Anthony": "Tony",
    "Christopher": "Kit",
    "David": "Dave Davy",
    "Joseph": "Joe Joey",
    "Alexander": "Sandy Xander",
    "Samuel": "Sammy",
    "Daniel": "Danny",
    "Stephen": "Steve Stevie",
    "Frederick": "Freddie",
    "Peter": "Pete",
    "Andrew": "Andy Drew",
    "Matthew": "Matty",
    "Philip": "Pip",
    "Timothy": "Timmy",
    "Kenneth": "Kenny",
    "Ronald": "Ronnie",
    "Leonard": "Lenny",
    "Terence": "Terry Tel",
    "Geoffrey": "Jeff",
    "Douglas": "Dougie",
    "Gerald": "Gerry Jerry",
    "Harold": "Harry Hal",
    "Albert": "Bert Albie",
    "Walter": "Wally Walt",
    "Nicholas": "Nicky",
    "Jonathan": "Jonny Johnny",
    "Benjamin": "Benny Benji",
    "Patrick": "Paddy Pat",
    "Mohammed": "Mo",
    "Muhammad": "Mo",
    "Mohammad": "Mo",
    "Chukwuemeka": "Emeka",
    "Oluwaseun": "Seun",
    "Babatunde": "Tunde",
    "Katarzyna": "Kasia",
    "Małgorzata": "Gosia",
    "Aleksandra": "Ola",
    "Giuseppe": "Peppe Beppe",
    "Oleksandr": "Sasha",
    "Dmytro": "Dima",
    "Abdirahman": "Abdi",
}
SHORTENED = {
    "Margaret": "Mags Marg Marge",
    "Elizabeth": "Eliza Liz",
    "Patricia": "Pat Tricia",
    "Christine": "Chris",
    "Christopher": "Chris",
    "Catherine": "Cath",
    "Katherine": "Kath Kat",
    "Kathleen": "Kath",
    "Deborah": "Deb Debs",
    "Rebecca": "Bec Becs",
    "Jennifer": "Jen",
    "Pamela": "Pam",
    "Valerie": "Val",
    "Gillian": "Gill Gilly",
    "Jacqueline": "Jac",
    "Victoria": "Vic",
    "Samantha": "Sam",
    "Abigail": "Abi Abbie",
    "Beverley": "Bev",
    "Frances": "Fran",
    "Josephine": "Jo Jos",
    "Alexander": "Alex Al",
    "Samuel": "Sam",
    "Daniel": "Dan",
    "Frederick": "Fred",
    "Matthew": "Matt",
    "Philip": "Phil",
    "Timothy": "Tim",
    "Kenneth": "Ken",
    "Ronald": "Ron",
    "Raymond": "Ray",
    "Leonard": "Len",
    "Stanley": "Stan",
    "Geoffrey": "Geoff",
    "Douglas": "Doug",
    "Gregory": "Greg",
    "Nicholas": "Nick Nic",
    "Jonathan": "Jon",
    "Benjamin": "Ben",
    "Michael": "Mick",
    "Richard": "Rich",
    "Thomas": "Tom",
    "Anthony": "Ant",
    "Robert": "Rob",
    "William": "Will",
    "Edward": "Ed",
    "Joseph": "Jos",
    "Gerald": "Ger",
    "Magdalena": "Magda",
    "Krzysztof": "Krzys",
    "Abdullah": "Abdul",
    "Olumide": "Olu",
    "Adebayo": "Ade",
    "Emmanuel": "Manny",
    "Francesca": "Fran Franca",
    "Alistair": "Ali Al",
    "Callum": "Cal",
    "Xiaoming": "Xiao",
    "Xiaoling": "Xiao",
}
NICKNAMES = {name: tuple(forms.split()) for name, forms in NICKNAMES.items()}
SHORTENED = {name: tuple(forms.split()) for name, forms in SHORTENED.items()}
# Given names that look alike but belong to different people in one household (gendered forms, rhymes,
# one letter apart): a relative with one of them must not pass for the person.
CONFUSABLE = {
    name: tuple(others.split())
    for name, others in {
        "Paul": "Paula Pauline",
        "Paula": "Paul",
        "John": "Joan",
        "Joan": "John Jean",
        "Jean": "Joan Jane",
        "Jane": "Jean June",
        "Christopher": "Christine Christina",
        "Christine": "Christian Christopher",
        "Daniel": "Danielle Daniela",
        "Robert": "Roberta",
        "Martin": "Martina",
        "Joseph": "Josephine",
        "Josephine": "Joseph",
        "Mary": "Mark Marie",
        "Mark": "Mary",
        "Michael": "Michelle Michaela",
        "Michelle": "Michael",
        "Stephen": "Stephanie",
        "Nicholas": "Nicola",
        "Nicola": "Nicholas",
        "Alexander": "Alexandra",
        "Samuel": "Samantha",
        "Samantha": "Samuel",
        "Louise": "Louis Lewis",
        "Carol": "Carl Caroline",
        "Harry": "Barry Harriet",
        "Dennis": "Denise",
        "Julie": "Julia Julian",
        "Helen": "Helena",
        "Kevin": "Kelvin",
        "Ian": "Ivan",
        "Sean": "Dean",
        "Emma": "Emily",
        "Patricia": "Patrick",
        "Patrick": "Patricia",
        "Frances": "Francis",
        "Gillian": "Julian",
        "Maria": "Mario Marie",
        "Giulia": "Giulio",
        "Luca": "Lucia",
        "Marco": "Marcia",
        "Francesca": "Francesco",
        "Andrei": "Andrea",
        "Elena": "Olena",
        "Olena": "Elena",
        "Kiran": "Karan",
        "Amina": "Amira",
        "Harpreet": "Harjeet Gurpreet",
        "Gurpreet": "Gurmeet Harpreet",
        "Jaspreet": "Jasmeet",
        "Sana": "Sara",
        "Amit": "Amrit",
        "Hassan": "Hussain Hasna",
        "Kwame": "Kwabena",
        "Kofi": "Kojo",
    }.items()
}
TITLES = {"f": ("Mrs", "Ms", "Miss", "Mrs", "Dr"), "m": ("Mr", "Mr", "Mr", "Dr", "Rev")}
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOUR_KEYS = {
    letter: row[max(0, i - 1) : i] + row[i + 1 : i + 2]
    for row in KEYBOARD_ROWS
    for i, letter in enumerate(row)
}

# --- places ------------------------------------------------------------------------------------------------
AREAS = {
    "SM": ("Sutton", [f"SM{n}" for n in range(1, 8)], "020 8"),
    "CV": ("Coventry", [f"CV{n}" for n in (1, 2, 3, 4, 5, 6, 31, 32, 34)], "024 7"),
    "HP": ("High Wycombe", [f"HP{n}" for n in (1, 2, 5, 10, 11, 12, 13, 20, 21)], "01494 "),
    "MK": ("Milton Keynes", [f"MK{n}" for n in (1, 2, 3, 5, 6, 9, 10, 13, 14, 17)], "01908 "),
    "SL": ("Slough", [f"SL{n}" for n in range(0, 7)], "01753 "),
}
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
STREET_WORDS = (
    "Cardigan Mill Church Park Station Victoria Albert Manor Queens Kings Oak Elm Cedar Beech Highfield "
    "Grange Springfield Windsor York St John's Chester Hawthorn Meadow Orchard Priory Abbey Chestnut Willow "
    "Brook Green Hillside Woodland Riverside Cavendish Gladstone Nelson Wellington Trinity Rectory School "
    "Cherry Poplar Sycamore Ashfield Westfield Clarence Marlborough Stanley Lime Holly Rose Heather Bridge "
    "Farm Newlands Fairfield Kingsway Elmwood Grosvenor Belmont Sandy Thornton Carlton Beaconsfield"
).replace("St John's", "St_John's")
STREET_TYPES = (
    ("Road", 30),
    ("Street", 14),
    ("Avenue", 10),
    ("Lane", 10),
    ("Close", 10),
    ("Crescent", 5),
    ("Drive", 7),
    ("Gardens", 4),
    ("Grove", 4),
    ("Way", 6),
    ("Court", 3),
    ("Place", 2),
    ("Terrace", 3),
)
ABBREVIATIONS = {
    "Road": ("Rd", "Rd.", "road", "RD"),
    "Street": ("St", "St.", "Str"),
    "Avenue": ("Ave", "Av"),
    "Lane": ("Ln",),
    "Close": ("Cl",),
    "Crescent": ("Cres",),
    "Drive": ("Dr",),
    "Gardens": ("Gdns",),
    "Grove": ("Gr",),
    "Court": ("Ct",),
    "Place": ("Pl",),
    "Terrace": ("Terr", "Ter"),
    "Flat": ("Apt", "flat", "FLAT", "Apartment"),
}


@dataclass
class Person:
    """A generated resident, with what the generator knows and the record does not."""

    id: int
    sex: str
    origin: str
    first: str
    surname: str
    middle: str | None
    phone: str | None
    mobile: str | None
    landline: str | None
    postcode: str
    outcode: str
    address: str
    flat: int | None
    number: int
    street: str
    town: str
    date_of_birth: date | None
    household: int

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first, self.middle, self.surname) if part)

    def record(self) -> PersonRecord:
        return PersonRecord(self.id, self.name, self.phone, self.postcode, self.address, self.date_of_birth)


@dataclass(frozen=True)
class Query:
    kind: str
    record: PersonRecord
    target: int | None  # the base person it is, None for a hard negative (nobody)
    negative: bool = False


@dataclass
class Dataset:
    people: list[PersonRecord]
    queries: list[Query]
    seed: int


@dataclass
class Tally:
    queries: int = 0
    tp: int = 0
    fn: int = 0
    fp: int = 0
    blocked: int = 0
    flagged: int = 0  # negatives with at least one match

    def rate(self, count: int) -> float:
        return round(count / self.queries, 4) if self.queries else 0.0


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    candidates: int = 0
    max_candidates: int = 0
    over_cap: int = 0
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    failures: list[str] = field(default_factory=list)

    def totals(self) -> Tally:
        total = Tally()
        for tally in self.by_kind.values():
            for name in ("queries", "tp", "fn", "fp", "blocked", "flagged"):
                setattr(total, name, getattr(total, name) + getattr(tally, name))
        return total

    @property
    def positives(self) -> Tally:
        total = Tally()
        for kind, tally in self.by_kind.items():
            if kind in VARIANT_KINDS:
                for name in ("queries", "tp", "fn", "fp", "blocked"):
                    setattr(total, name, getattr(total, name) + getattr(tally, name))
        return total

    def precision(self) -> float:
        total = self.totals()
        return round(total.tp / (total.tp + total.fp), 4) if total.tp + total.fp else 0.0

    def recall(self) -> float:
        positives = self.positives
        return round(positives.tp / positives.queries, 4) if positives.queries else 0.0


# --- generation --------------------------------------------------------------------------------------------
class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.phones: set[str] = set()
        self.addresses: set[tuple[str, str]] = set()
        self.streets = self._streets()

    def zipf(self, items, exponent: float = 0.9):
        return self.rng.choices(items, weights=[1 / (rank + 1) ** exponent for rank in range(len(items))])[0]

    def _streets(self) -> dict[str, list[tuple[str, list[str], str]]]:
        """Per outcode: streets, each with the postcodes of its blocks of numbers, and its town."""
        streets: dict[str, list[tuple[str, list[str], str]]] = {}
        words = STREET_WORDS.split()
        types = [name for name, _ in STREET_TYPES]
        weights = [weight for _, weight in STREET_TYPES]
        used_units: set[str] = set()
        for town, outcodes, _ in AREAS.values():
            for outcode in outcodes:
                names: set[str] = set()
                while len(names) < 14:
                    word = self.rng.choice(words).replace("_", " ")
                    names.add(f"{word} {self.rng.choices(types, weights)[0]}")
                streets[outcode] = []
                for street in sorted(names):
                    postcodes = []
                    for _ in range(self.rng.randint(1, 3)):
                        while True:
                            sector = self.rng.randint(1, 9)
                            unit = f"{outcode} {sector}{''.join(self.rng.choices(UNIT_LETTERS, k=2))}"
                            if unit not in used_units:
                                used_units.add(unit)
                                postcodes.append(unit)
                                break
                    streets[outcode].append((street, postcodes, town))
        return streets

    def mobile(self) -> str:
        while True:
            digits = "07" + str(self.rng.randint(300, 999)) + f"{self.rng.randint(0, 999999):06d}"
            if digits not in self.phones:
                self.phones.add(digits)
                return self.format_phone(digits)

    def landline(self, area: str) -> str:
        prefix = AREAS[area][2].replace(" ", "")
        while True:
            digits = prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(11 - len(prefix)))
            if digits[len(prefix)] != "0" and digits not in self.phones:
                self.phones.add(digits)
                return self.format_phone(digits)

    def format_phone(self, digits: str, avoid: str | None = None) -> str:
        """One of the ways people give a UK number: 07700 900123, +44 7700 900123, (01494) 123456..."""
        national = digits[1:]
        if digits.startswith("07"):
            styles = [
                f"{digits[:5]} {digits[5:]}",
                digits,
                f"+44 {national[:4]} {national[4:]}",
                f"+44{national}",
                f"{digits[:5]} {digits[5:8]} {digits[8:]}",
                f"0044 {national[:4]} {national[4:]}",
                f"44{national}",
                f"+44 (0){national[:4]} {national[4:]}",
            ]
        elif digits.startswith("02"):
            styles = [
                f"{digits[:3]} {digits[3:7]} {digits[7:]}",
                f"{digits[:4]} {digits[4:7]} {digits[7:]}",
                digits,
                f"({digits[:3]}) {digits[3:7]} {digits[7:]}",
                f"+44 {national[:2]} {national[2:6]} {national[6:]}",
                f"+44 (0){national[:2]} {national[2:]}",
            ]
        else:
            styles = [
                f"{digits[:5]} {digits[5:]}",
                f"({digits[:5]}) {digits[5:]}",
                digits,
                f"{digits[:5]}-{digits[5:]}",
                f"+44 {national[:4]} {national[4:]}",
                f"+44{national}",
            ]
        choices = [style for style in styles if style != avoid] or styles
        return self.rng.choice(choices)

    def dob(self) -> date:
        return date(1930, 1, 1) + timedelta(days=self.rng.randint(0, 365 * 76))

    def new_address(self, outcode: str | None = None) -> tuple[str, str, int | None, int, str, str]:
        """(postcode, address, flat, number, street, town) not used by anyone yet."""
        while True:
            if outcode is None:
                area = self.rng.choices(list(AREAS), weights=[3, 3, 2, 2, 2])[0]
                chosen = self.zipf(AREAS[area][1], 0.5)
            else:
                chosen = outcode
            street, postcodes, town = self.rng.choice(self.streets[chosen])
            block = self.rng.randrange(len(postcodes))
            number = block * 30 + self.rng.randint(1, 30)
            flat = self.rng.randint(1, 12) if self.rng.random() < 0.2 else None
            address = f"{number} {street}"
            if flat:
                address = f"Flat {flat}, {address}"
            if self.rng.random() < 0.25:
                address += f", {town}"
            key = (postcodes[block], f"{flat}:{number}:{street}")
            if key not in self.addresses:
                self.addresses.add(key)
                return postcodes[block], address, flat, number, street, town

    def name_parts(self, origin: str, sex: str, taken: set[str] = frozenset()) -> tuple[str, str | None]:
        female, male, _ = POOLS[origin]
        pool = female if sex == "f" else male
        while True:
            first = self.zipf(pool, 0.7)
            if not _same_given_name(first, taken):
                break
        middle = None
        if self.rng.random() < 0.05:
            middle = self.rng.choice([name for name in pool if name != first])
        return first, middle

    def surname(self, origin: str) -> str:
        if origin == "english" and self.rng.random() < 0.05:
            pool = POOLS["english"][2]
            first, second = self.zipf(pool), self.zipf(pool)
            if first != second:
                return f"{first}-{second}"
        if origin == "south_asian" and self.rng.random() < 0.08:
            return "Begum" if self.rng.random() < 0.5 else "Kaur"
        return self.zipf(POOLS[origin][2], 0.85)

    def people(self, count: int) -> list[Person]:
        people: list[Person] = []
        household = 0
        origins, weights = list(ORIGIN_WEIGHTS), list(ORIGIN_WEIGHTS.values())
        while len(people) < count:
            household += 1
            origin = self.rng.choices(origins, weights)[0]
            size = self.rng.choices((1, 2, 3, 4), weights=(55, 28, 11, 6))[0]
            postcode, address, flat, number, street, town = self.new_address()
            outcode = postcode.split()[0]
            area = next(code for code, (_, outcodes, _) in AREAS.items() if outcode in outcodes)
            landline = self.landline(area) if self.rng.random() < 0.45 else None
            surname = self.surname(origin)
            taken: set[str] = set()
            for _ in range(min(size, count - len(people))):
                sex = self.rng.choice("fm")
                first, middle = self.name_parts(origin, sex, taken)
                taken.add(first)
                mobile = self.mobile() if self.rng.random() < 0.75 else None
                phone = mobile if mobile and (not landline or self.rng.random() < 0.6) else landline
                own_surname = surname if self.rng.random() < 0.9 else self.surname(origin)
                people.append(
                    Person(
                        id=len(people) + 1,
                        sex=sex,
                        origin=origin,
                        first=first,
                        surname=own_surname,
                        middle=middle,
                        phone=phone,
                        mobile=mobile,
                        landline=landline,
                        postcode=postcode,
                        outcode=outcode,
                        address=address,
                        flat=flat,
                        number=number,
                        street=street,
                        town=town,
                        date_of_birth=self.dob() if self.rng.random() < 0.6 else None,
                        household=household,
                    )
                )
        return people

    # --- repeat calls ---
    def applicable(self, person: Person) -> list[str]:
        kinds = []
        for kind in VARIANT_KINDS:
            if kind == "nickname" and person.first not in NICKNAMES:
                continue
            if kind == "shortened_first_name" and person.first not in SHORTENED:
                continue
            if kind == "typo_first_name" and len(_letters(person.first)) < 4:
                continue
            if kind == "typo_surname" and len(_letters(person.surname)) < 3:
                continue
            if kind == "moved_house" and not (person.phone and person.phone == person.mobile):
                continue
            if kind in ("phone_format", "missing_phone") and not person.phone:
                continue
            if kind == "missing_dob" and not person.date_of_birth:
                continue
            if kind == "dob_day_month_swapped" and not (
                person.date_of_birth
                and person.date_of_birth.day <= 12
                and person.date_of_birth.day != person.date_of_birth.month
            ):
                continue
            kinds.append(kind)
        return kinds

    def variant(self, person: Person, kind: str) -> PersonRecord:
        rng = self.rng
        first, middle, surname = person.first, person.middle, person.surname
        phone, postcode, address = person.phone, person.postcode, person.address
        dob = person.date_of_birth if rng.random() < 0.7 else None
        if middle and rng.random() < 0.5:
            middle = None
        name = None
        if kind == "nickname":
            first = rng.choice(NICKNAMES[person.first])
        elif kind == "shortened_first_name":
            first = rng.choice(SHORTENED[person.first])
        elif kind == "typo_first_name":
            first = self.typo(first)
        elif kind == "typo_surname":
            surname = self.typo(surname)
        elif kind == "transposed_letters":
            if rng.random() < 0.5 and len(_letters(first)) >= 4:
                first = self.transpose(first)
            else:
                surname = self.transpose(surname)
        elif kind == "swapped_order":
            given = " ".join(part for part in (first, middle) if part)
            name = rng.choice(
                [
                    f"{surname} {given}",
                    f"{surname}, {given}",
                    f"{surname.upper()}, {given}",
                    f"{surname.upper()} {given}",
                ]
            )
        elif kind == "title_added":
            name = f"{rng.choice(TITLES[person.sex])} {' '.join(p for p in (first, middle, surname) if p)}"
        elif kind == "initial_only":
            name = f"{first[0]}{rng.choice(['', '.'])} {surname}"
        elif kind == "new_phone":
            phone = self.mobile()
        elif kind == "moved_house":
            outcodes = [code for _, codes, _ in AREAS.values() for code in codes if code != person.outcode]
            postcode, address, *_ = self.new_address(rng.choice(outcodes))
        elif kind == "phone_format":
            phone = self.format_phone(normalise_phone(person.phone), avoid=person.phone)
        elif kind == "missing_phone":
            phone = None
        elif kind == "missing_dob":
            dob = None
        elif kind == "outcode_only":
            postcode = person.outcode
        elif kind == "dob_day_month_swapped":
            original = person.date_of_birth
            dob = date(original.year, original.day, original.month)
        if name is None:
            name = " ".join(part for part in (first, middle, surname) if part)
        name = self.restyle_name(name)
        if kind not in ("outcode_only", "moved_house"):
            postcode = self.restyle_postcode(postcode)
        address = self.restyle_address(address)
        return PersonRecord(None, name, phone, postcode, address, dob)

    def typo(self, word: str) -> str:
        """One slip of the keyboard: a neighbouring key, a letter missed, one added or doubled."""
        rng = self.rng
        while True:
            positions = [i for i, char in enumerate(word) if char.isalpha()]
            weights = [0.4 if i == 0 else 1.0 for i in positions]
            i = rng.choices(positions, weights)[0]
            char = word[i]
            lower = _ascii(char.lower())
            operation = rng.choice(("substitute", "substitute", "delete", "insert", "double"))
            if operation == "substitute" and lower in NEIGHBOUR_KEYS:
                new = rng.choice(NEIGHBOUR_KEYS[lower])
                new = new.upper() if char.isupper() else new
                result = word[:i] + new + word[i + 1 :]
            elif operation == "delete" and len(positions) > 3:
                result = word[:i] + word[i + 1 :]
            elif operation == "insert" and lower in NEIGHBOUR_KEYS:
                result = word[: i + 1] + rng.choice(NEIGHBOUR_KEYS[lower]) + word[i + 1 :]
            elif operation == "double":
                result = word[: i + 1] + char.lower() + word[i + 1 :]
            else:
                continue
            if result.lower() != word.lower() and result[:1].isalpha():
                return result

    def transpose(self, word: str) -> str:
        pairs = [
            i
            for i in range(len(word) - 1)
            if word[i].isalpha() and word[i + 1].isalpha() and word[i].lower() != word[i + 1].lower()
        ]
        if not pairs:
            return self.typo(word)
        i = self.rng.choices(pairs, [0.3 if i == 0 else 1.0 for i in pairs])[0]
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return swapped[0].upper() + swapped[1:].lower() if word[0].isupper() else swapped

    def restyle_name(self, name: str) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            name = _ascii(name)  # accents dropped
        if "'" in name and rng.random() < 0.4:
            name = name.replace("'", rng.choice(["", " ", "’"]))
        if "-" in name and rng.random() < 0.3:
            name = name.replace("-", " ")
        if rng.random() < 0.1:
            name = name.upper()
        elif rng.random() < 0.1:
            name = name.lower()
        return name

    def restyle_postcode(self, postcode: str | None) -> str | None:
        if postcode is None:
            return None
        roll = self.rng.random()
        if roll < 0.2:
            return postcode.lower()
        if roll < 0.35:
            return postcode.replace(" ", "")
        return postcode

    def restyle_address(self, address: str | None) -> str | None:
        if address is None:
            return None
        rng = self.rng
        words = address.replace(",", " ,").split()
        words = [
            rng.choice(ABBREVIATIONS[word]) if word in ABBREVIATIONS and rng.random() < 0.4 else word
            for word in words
        ]
        address = " ".join(words).replace(" ,", ",")
        if rng.random() < 0.3:
            address = address.replace(",", "")
        if rng.random() < 0.1:
            address = address.lower()
        return address

    # --- hard negatives ---
    def negative(self, person: Person, kind: str, household: list[Person]) -> PersonRecord | None:
        rng = self.rng
        taken = {member.first for member in household}
        if kind == "relative":
            if not person.phone:
                return None
            first, _ = self.name_parts(person.origin, rng.choice("fm"), taken)
            dob = self.dob() if rng.random() < 0.5 else None
            if dob and person.date_of_birth and abs((dob - person.date_of_birth).days) < 365:
                dob = None
            name = f"{first} {person.surname}"
            return PersonRecord(
                None, self.restyle_name(name), person.phone, person.postcode, person.address, dob
            )
        if kind == "relative_similar_name":
            options = [name for name in CONFUSABLE.get(person.first, ()) if name not in taken]
            if not person.phone or not options:
                return None
            dob = self.dob() if rng.random() < 0.5 else None
            if dob and person.date_of_birth and abs((dob - person.date_of_birth).days) < 365:
                dob = None
            name = f"{rng.choice(options)} {person.surname}"
            return PersonRecord(
                None, self.restyle_name(name), person.phone, person.postcode, person.address, dob
            )
        if kind == "twin":
            if not person.date_of_birth:
                return None
            first, _ = self.name_parts(person.origin, rng.choice("fm"), taken)
            phone = person.phone if rng.random() < 0.5 else self.mobile()
            name = f"{first} {person.surname}"
            return PersonRecord(
                None, self.restyle_name(name), phone, person.postcode, person.address, person.date_of_birth
            )
        if kind == "neighbour":
            street = next(entry for entry in self.streets[person.outcode] if entry[0] == person.street)
            block = street[1].index(person.postcode)
            while True:
                number = block * 30 + rng.randint(1, 30)
                flat = rng.randint(1, 12) if person.flat and rng.random() < 0.5 else None
                if (number, flat) != (person.number, person.flat):
                    break
            address = (
                f"{number} {person.street}" if flat is None else f"Flat {flat}, {number} {person.street}"
            )
            origin = rng.choices(list(ORIGIN_WEIGHTS), list(ORIGIN_WEIGHTS.values()))[0]
            first, _ = self.name_parts(origin, rng.choice("fm"))
            name = f"{first} {self.surname(origin)}"
            phone = self.mobile() if rng.random() < 0.8 else None
            dob = self.dob() if rng.random() < 0.5 else None
            return PersonRecord(None, self.restyle_name(name), phone, person.postcode, address, dob)
        if kind == "same_name_elsewhere":
            area_outcodes = [
                code for _, codes, _ in AREAS.values() for code in codes if code != person.outcode
            ]
            postcode, address, *_ = self.new_address(rng.choice(area_outcodes))
            phone = self.mobile() if rng.random() < 0.85 else None
            dob = self.dob() if rng.random() < 0.5 else None
            if dob and person.date_of_birth == dob:
                dob = None
            name = f"{person.first} {person.surname}"
            if rng.random() < 0.2:
                name = f"{rng.choice(TITLES[person.sex])} {name}"
            return PersonRecord(None, self.restyle_name(name), phone, postcode, address, dob)
        raise ValueError(kind)


def _letters(word: str) -> str:
    return "".join(char for char in word if char.isalpha())


def _ascii(text: str) -> str:
    text = text.translate(str.maketrans("łŁøØđĐß", "lLoOdDs"))
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def _same_given_name(first: str, others: set[str]) -> bool:
    """The same first name or one of its nicknames/short forms (the benchmark's own lists)."""

    def forms(name: str) -> set[str]:
        found = {name, *NICKNAMES.get(name, ()), *SHORTENED.get(name, ())}
        for full, variants in (*NICKNAMES.items(), *SHORTENED.items()):
            if name in variants or name == full:
                found |= {full, *variants}
        return {_ascii(form).lower() for form in found}

    mine = forms(first)
    return any(mine & forms(other) for other in others)


def generate(people: int = 2000, seed: int = 1, variants: int = 4, negatives: float = 0.6) -> Dataset:
    """The base people and the queries: `variants` repeat calls per person (kinds drawn at random among
    those that apply), and about `negatives` hard negatives per person. Every kind appears at least once
    when the set is large enough for it to apply."""
    generator = Generator(seed)
    base = generator.people(people)
    households: dict[int, list[Person]] = defaultdict(list)
    for person in base:
        households[person.household].append(person)
    queries: list[Query] = []
    seen: Counter[str] = Counter()
    rng = generator.rng
    for person in base:
        applicable = generator.applicable(person)
        # kinds seen least so far first, so that rarer kinds are not drowned out
        rng.shuffle(applicable)
        applicable.sort(key=lambda kind: seen[kind])
        for kind in applicable[:variants]:
            seen[kind] += 1
            queries.append(Query(kind, generator.variant(person, kind), person.id))
    negative_count = round(len(base) * negatives)
    made: Counter[str] = Counter()
    attempts = 0
    while sum(made.values()) < negative_count and attempts < negative_count * 20:
        attempts += 1
        person = rng.choice(base)
        kind = min(NEGATIVE_KINDS, key=lambda kind: (made[kind], rng.random()))
        record = generator.negative(person, kind, households[person.household])
        if record is not None:
            made[kind] += 1
            queries.append(Query(kind, record, None, negative=True))
    return Dataset([person.record() for person in base], queries, seed)


# --- evaluation --------------------------------------------------------------------------------------------
def evaluate(dataset: Dataset, threshold: float = DEFAULT_THRESHOLD, failures: int = 0) -> Result:
    """The production pipeline minus the database: blocking keys, an inverted index, find_duplicates."""
    people = {person.id: person for person in dataset.people}
    index: dict[str, list[int]] = defaultdict(list)
    for person in dataset.people:
        for key in blocking_keys(person):
            index[key].append(person.id)
    result = Result("matcher")
    for query in dataset.queries:
        started = time.perf_counter()
        keys = blocking_keys(query.record)
        ids = list(dict.fromkeys(found for key in keys for found in index.get(key, ())))
        result.candidates += len(ids)
        result.max_candidates = max(result.max_candidates, len(ids))
        result.over_cap += len(ids) > MAX_CANDIDATES
        matches = find_duplicates(query.record, (people[found] for found in ids[:MAX_CANDIDATES]), threshold)
        result.seconds += time.perf_counter() - started
        found_ids = [match.resident_id for match in matches]
        shared = query.target is not None and bool(keys & blocking_keys(people[query.target]))
        _tally(result, query, found_ids, shared, people, failures, matches)
    return result


def baseline(dataset: Dataset) -> Result:
    """Exact matching only: the same normalised phone, or the same name (case and spaces) and postcode."""
    by_phone: dict[str, list[int]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    for person in dataset.people:
        if person.phone and (phone := normalise_phone(person.phone)):
            by_phone[phone].append(person.id)
        if person.postcode:
            by_name[_exact_name(person.name), normalise_postcode(person.postcode)].append(person.id)
    result = Result("baseline_exact")
    for query in dataset.queries:
        started = time.perf_counter()
        record = query.record
        found: list[int] = []
        if record.phone and (phone := normalise_phone(record.phone)):
            found += by_phone.get(phone, [])
        if record.postcode:
            found += by_name.get((_exact_name(record.name), normalise_postcode(record.postcode)), [])
        found = list(dict.fromkeys(found))
        result.seconds += time.perf_counter() - started
        _tally(result, query, found, True, {}, 0, [])
    return result


def _exact_name(name: str) -> str:
    return " ".join(name.lower().split())


def _tally(result, query, found_ids, shared, people, failures, matches) -> None:
    tally = result.by_kind[query.kind]
    tally.queries += 1
    if query.negative:
        tally.fp += len(found_ids)
        tally.flagged += bool(found_ids)
        wrong = found_ids
    else:
        hit = query.target in found_ids
        tally.tp += hit
        tally.fn += not hit
        tally.blocked += shared
        wrong = [found for found in found_ids if found != query.target]
        tally.fp += len(wrong)
        if not hit and len(result.failures) < failures:
            result.failures.append(
                f"MISS {query.kind}: {_show(query.record)}  vs  {_show(people[query.target])}"
                f"  blocked={shared}"
            )
    if wrong and len(result.failures) < failures:
        scores = {match.resident_id: match for match in matches}
        for found in wrong[:2]:
            match = scores.get(found)
            detail = f" score={match.score} {dict(match.field_scores)}" if match else ""
            result.failures.append(
                f"FALSE {query.kind}: {_show(query.record)}  vs  {_show(people[found])}{detail}"
            )


def _show(record: PersonRecord) -> str:
    return f"[{record.name} | {record.phone} | {record.postcode} | {record.address} | {record.date_of_birth}]"


def report(result: Result, dataset: Dataset) -> dict:
    positives = result.positives
    negatives = [result.by_kind[kind] for kind in NEGATIVE_KINDS]
    queries = len(dataset.queries)
    line = {
        "matcher": result.name,
        "seed": dataset.seed,
        "precision": result.precision(),
        "recall": result.recall(),
        "true_positives": positives.tp,
        "false_negatives": positives.fn,
        "false_positives": result.totals().fp,
        "negatives_flagged": sum(tally.flagged for tally in negatives),
        "us_per_query": round(result.seconds / queries * 1e6, 1) if queries else 0.0,
    }
    if result.name == "matcher":
        line["blocking_recall"] = positives.rate(positives.blocked)
        line["mean_candidates"] = round(result.candidates / queries, 1) if queries else 0.0
        line["max_candidates"] = result.max_candidates
        line["queries_over_candidate_cap"] = result.over_cap
    return line


def breakdown(result: Result) -> list[dict]:
    lines = []
    recall = {}
    for kind in VARIANT_KINDS:
        tally = result.by_kind.get(kind)
        if tally and tally.queries:
            recall[kind] = {"n": tally.queries, "recall": tally.rate(tally.tp)}
            if result.name == "matcher":  # the baseline looks everyone up: no blocking
                recall[kind]["blocking"] = tally.rate(tally.blocked)
            recall[kind]["wrong_people"] = tally.fp
    lines.append({"matcher": result.name, "recall_by_variation": recall})
    negatives = {}
    for kind in NEGATIVE_KINDS:
        tally = result.by_kind.get(kind)
        if tally and tally.queries:
            negatives[kind] = {"n": tally.queries, "false_positive_rate": tally.rate(tally.flagged)}
    lines.append({"matcher": result.name, "false_positives_by_negative": negatives})
    return lines


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000, help="base people (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variants", type=int, default=4, help="repeat calls per person (default 4)")
    parser.add_argument(
        "--negatives", type=float, default=0.6, help="hard negatives per person (default 0.6)"
    )
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--failures", type=int, default=0, help="print this many misses and false matches")
    options = parser.parse_args(arguments)

    started = time.perf_counter()
    dataset = generate(options.people, options.seed, options.variants, options.negatives)
    positives = sum(not query.negative for query in dataset.queries)
    print(
        json.dumps(
            {
                "set": "duplicate_people",
                "seed": options.seed,
                "people": len(dataset.people),
                "repeat_calls": positives,
                "hard_negatives": len(dataset.queries) - positives,
                "threshold": options.threshold,
                "generated_seconds": round(time.perf_counter() - started, 2),
            }
        )
    )
    matcher = evaluate(dataset, options.threshold, options.failures)
    exact = baseline(dataset)
    print(json.dumps(report(matcher, dataset)))
    for line in breakdown(matcher):
        print(json.dumps(line))
    print(json.dumps(report(exact, dataset)))
    for line in breakdown(exact):
        print(json.dumps(line))
    precision, recall = matcher.precision(), matcher.recall()
    print(
        json.dumps(
            {
                "precision": precision,
                "recall": recall,
                "targets": {
                    f"recall>={TARGET_RECALL}": "PASS" if recall >= TARGET_RECALL else "FAIL",
                    f"precision>={TARGET_PRECISION}": "PASS" if precision >= TARGET_PRECISION else "FAIL",
                },
                "recall_vs_baseline": round(recall - exact.recall(), 4),
                "precision_vs_baseline": round(precision - exact.precision(), 4),
            }
        )
    )
    for failure in matcher.failures:
        print(failure, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
