"""Redaction on ingest: people's names and identifiers in a transcript become placeholders.

`redact(transcript)` returns a new transcript in which speaker labels that are names, names
given with the session (`names=`), names found in the text, phone numbers, email addresses,
UK postcodes, NHS numbers, dates of birth and street addresses are replaced:

    "My son Kayden's on 07700 900123" -> "My son [CHILD 1]'s on [PHONE]"

A person is one placeholder for the whole transcript (speaker label, text and metadata
alike): `[CHILD n]` when the text says so (my son, her daughter, the baby, the kids, an age
under 18), `[ADULT n]` for speakers and partners, parents, workers or a title (Mrs, Dr),
`[PERSON n]` when nothing says which. Numbers count up per kind in order of first mention.
Role labels and words (SW, Mum, Dad, Nan, Worker, Client) are never names.

Names are found by rules (spaCy's trained English pipeline, when one is installed, adds
its PERSON and GPE entities; GPE becomes `[PLACE]`):
- a curated list of common UK given names (`app/data/first_names.txt`): a listed name is a
  name in any position when capitalised, and in lower case too unless it is short or a word;
- cues: a capitalised word (or a listed name in lower case) after "my son", "her daughter",
  "his partner", "the baby", "called", "named", a title (Mrs, Dr, Auntie) is a name, even one
  that is not in the list ("a service called Talking Therapies" and "Child Benefit" are not);
  so is an unlisted capitalised word after a greeting ("Hiya Zed,"), addressed at the end of
  a question ("..., Zed?") or before "said"/"told"; a surname after a name goes with it
  ("Sarah Jones");
- names that are also words (Will, May, Grace, Hope, Faith, Mark, Bill, Rose, Dawn; tagged
  in the data file) are names only when capitalised and not at the start of a sentence, or
  after a cue, or at the start of a sentence when what follows says so ("Faith said",
  "Will's", "Rose and Holly"). So "Will you tell me more?", "I hope so", "May I ask",
  "Bill paying", "by the grace of God" and "Mark my words" keep their words, while
  "I spoke to Grace" and "my daughter Hope" lose the name. A name that is a word is never
  redacted in lower case, even when given with the session ("I will" stays). Months (May,
  June, April) are names only after a cue, as a speaker or when given, and then not after
  "in", "on", "since"... or next to a number; places (Devon, India) are not names after
  "in", "from", "went to"....

Dates: a date right after a birth cue ("born", "DOB", "date of birth", "birthday"), or just
before one ("... is her date of birth"), becomes `[DATE OF BIRTH]` however much of it is
given ("born in 2015", "her birthday's the 14th of February"). Any other full date (day,
month and year: 14/03/2016, 14 March 2016) becomes `[DATE]`: in a safeguarding record such
a date is often a child's birth date said without a cue, and the day of a hearing or an
incident can identify a family too. Dates without a year ("on the 14th", "in March") stay,
so the conversation keeps its sense of time; ages stay.

Phones: UK numbers starting 01, 02, 03, 05, 07, 08 or 09 (10 or 11 digits) or +44 / 0044,
in any common spacing. NHS numbers: ten digits grouped 3-3-4 (always), or ten plain digits
whose modulus-11 check digit is right or that follow "NHS". Postcodes: full UK postcodes in
either case (lower case needs the space), and outward codes (BD5) next to a full one or
after "postcode". Addresses: flat numbers, a house number with a capitalised street name
and suffix (Road, Close, Gardens...), "3 The Paddock", and a street name with a plain
suffix after "on", "at", "off"...; lower-case addresses need a cue such as "lives at".

Known gaps: spelled-out numbers ("oh seven seven..."), nicknames and surnames standing
alone that are not in the list and have no cue, sentence-initial names that are words with
no cue ("Dawn from the refuge"), house names, towns (unless a trained pipeline is present).
"""

from __future__ import annotations

import bisect
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.roles import CLIENT_LABELS, PRACTITIONER_LABELS, label_key
from app.transcript import Transcript

KINDS: tuple[str, ...] = (
    "name", "phone", "email", "postcode", "nhs_number", "date_of_birth", "address",
)
PLACEHOLDERS: dict[str, str] = {
    "phone": "[PHONE]", "email": "[EMAIL]", "postcode": "[POSTCODE]",
    "nhs_number": "[NHS NUMBER]", "date_of_birth": "[DATE OF BIRTH]", "date": "[DATE]",
    "address": "[ADDRESS]", "place": "[PLACE]",
}
NAMES_FILE = Path(__file__).parent / "data" / "first_names.txt"


@dataclass(frozen=True)
class RedactionSettings:
    """Which kinds of identifier are redacted; everything is on by default."""

    names: bool = True
    phones: bool = True
    emails: bool = True
    postcodes: bool = True
    nhs_numbers: bool = True
    dates_of_birth: bool = True
    other_dates: bool = True  # full dates with no birth cue -> [DATE]
    addresses: bool = True
    model_entities: bool = True  # a trained spaCy pipeline's PERSON/GPE, when installed

    @classmethod
    def off(cls) -> RedactionSettings:
        """Every kind off: `redact` then returns the transcript unchanged."""
        return cls(**{f.name: False for f in fields(cls)})

    @classmethod
    def only(cls, *kinds: str) -> RedactionSettings:
        """Only the given kinds on, named as in `KINDS` (plus "date" for other full dates)."""
        unknown = set(kinds) - set(_SETTING_OF)
        if unknown:
            raise ValueError(f"unknown redaction kind(s): {', '.join(sorted(unknown))}")
        return replace(cls.off(), **{_SETTING_OF[k]: True for k in kinds})

    def on(self, kind: str) -> bool:
        """True if this kind ("name", "phone", ..., "date", "place") is redacted."""
        if kind == "place":
            return self.model_entities
        return bool(getattr(self, _SETTING_OF[kind]))


_SETTING_OF = {
    "name": "names", "phone": "phones", "email": "emails", "postcode": "postcodes",
    "nhs_number": "nhs_numbers", "date_of_birth": "dates_of_birth", "date": "other_dates",
    "address": "addresses",
}


@dataclass(frozen=True)
class Redaction:
    """One stretch of the original text and what replaces it."""

    start: int
    end: int
    kind: str
    placeholder: str


def redact(
    transcript: Transcript, *, names: Iterable[str] = (),
    settings: RedactionSettings | None = None,
) -> Transcript:
    """A copy of the transcript with names and identifiers replaced by placeholders.

    Speaker labels, turn text and metadata values share one set of placeholders, so the
    same person is the same `[ADULT n]` throughout. Roles, turn ids and flags are kept.
    """
    s = _Session(settings or RedactionSettings(), names)
    turns = transcript.turns
    meta = list(transcript.metadata.items())
    for t in turns:
        s.learn_label(t.speaker)
        s.learn(t.text)
    for _, v in meta:
        s.learn(v)
    found = [(s.find_label(t.speaker), s.find(t.text)) for t in turns]
    found_meta = [s.find(v) for _, v in meta]
    s.number()
    new_turns = [
        replace(t, speaker=s.render(t.speaker, lab), text=s.render(t.text, txt))
        for t, (lab, txt) in zip(turns, found)
    ]
    new_meta = {k: s.render(v, f) for (k, v), f in zip(meta, found_meta)}
    return replace(transcript, turns=new_turns, metadata=new_meta)


def redact_text(
    text: str, *, names: Iterable[str] = (), settings: RedactionSettings | None = None
) -> str:
    """One string with names and identifiers replaced by placeholders."""
    s = _Session(settings or RedactionSettings(), names)
    s.learn(text)
    spans = s.find(text)
    s.number()
    return s.render(text, spans)


def find_identifiers(
    text: str, *, names: Iterable[str] = (), settings: RedactionSettings | None = None
) -> list[Redaction]:
    """What `redact_text` would replace, in order: offsets into `text`, kind, placeholder."""
    s = _Session(settings or RedactionSettings(), names)
    s.learn(text)
    spans = s.find(text)
    s.number()
    return [Redaction(sp.start, sp.end, sp.kind, s.placeholder(sp)) for sp in spans]


# ---------------------------------------------------------------------------------------
# Word lists

ROLE_WORDS = frozenset(
    {w for label in PRACTITIONER_LABELS + CLIENT_LABELS for w in label.split()}
    | {"mummy", "daddy", "nanna", "granny", "grandpa", "grampa", "grandmother", "grandfather",
       "aunty", "sis", "bro", "baby", "babe", "sonny", "hun", "love", "mate", "lad", "lass",
       "sir", "madam", "miss", "social", "guest", "host", "speaker", "unknown", "participant",
       "respondent", "caller", "you", "interpreter", "chair", "manager", "teacher", "police"}
)
TITLES = frozenset(
    "mr mrs ms miss mx dr doctor prof professor sir dame lady lord father sister nurse "
    "auntie aunty aunt uncle nan nana nanna gran granny grandad grandma grandpa".split()
)
# Capitalised words that are never (part of) a name, even after a cue or another name.
STOP_CAPS = frozenset(
    """i i'm i'd i'll i've im id ive ok okay yeah yes no not and but or so the a an this that
    these those there here then when what who why how where which if it its it's he she they we
    you your my his her our their me him them us mine hers ours theirs one two three four five
    six seven eight nine ten is was are were be been has have had do does did would can
    could should might must shall just also too very really well right sorry please thanks
    thank hi hello hiya bye oh ah um er erm mm hmm yeah yep nope monday tuesday wednesday
    thursday friday saturday sunday today tomorrow yesterday tonight christmas easter eid
    diwali ramadan january february july september october november december god jesus christ
    allah lord social services care children's childrens children child protection plan early
    help police court family school primary high academy college nursery council housing
    health hospital gp nhs camhs cafcass sure start women's aid refuge a&e ae english british
    polish irish scottish welsh muslim catholic jewish sikh hindu section year stage
    team service services unit centre center office group conference meeting review""".split()
)
# After these, a capitalised word is a name (they name who follows): child, adult, person.
CHILD_CUES = frozenset(
    """son sons daughter daughters boy boys girl girls baby babies child children kid kids
    twins twin grandson grandsons granddaughter granddaughters grandchild grandchildren
    grandkids stepson stepdaughter step-son step-daughter nephew niece youngest eldest oldest
    toddler newborn teenager teen foster-child""".split()
)
ADULT_CUES = frozenset(
    """partner partners husband wife boyfriend girlfriend fella fiance fiancé fiancee fiancée
    ex ex-partner ex-husband ex-wife mum mam mom mother dad father stepmum stepdad stepfather
    stepmother step-mum step-dad nan nana gran granny grandma grandad grandmother grandfather
    auntie aunt aunty uncle sister-in-law brother-in-law mother-in-law father-in-law landlord
    landlady teacher worker keyworker carer carers solicitor officer visitor midwife nurse
    doctor gp guy man woman bloke lady boss manager""".split()
)
PERSON_CUES = frozenset(
    """friend friends mate mates cousin cousins brother brothers sister sisters neighbour
    neighbours neighbor lad pal bestie someone somebody person""".split()
)
YOUNG = frozenset("little baby younger youngest twin".split())
CALLED = re.compile(
    r"\b(?:called|named|name\s+is|name['’]s|names\s+are|goes\s+by|known\s+as|calls\s+(?:her|him)self)"
    r"\s*[:,]?\s*$", re.I,
)
# At the start of a sentence, a name that is a word needs one of these after it.
NAME_FOLLOWERS = frozenset(
    """said says told asked went came wants wanted keeps kept gets got didn't doesn't won't
    hasn't isn't wasn't can't couldn't wouldn't shouldn't loves loved hates hated thinks thought
    knows knew likes liked needs needed started stopped rang phoned called texted messaged cried
    shouted screamed hit lives lived stays stayed goes took takes reckons admitted
    agreed refused""".split()
)
REPORTING = frozenset("said says told asked reckons replied shouted texted rang".split())
GREETINGS = ("hi", "hiya", "hello", "hey", "thanks", "cheers", "bye", "morning", "afternoon",
             "evening", "night", "ta", "alright", "welcome", "sorry")
# "a service called Talking Therapies": after these, "called" names a thing, not a person.
_GREETING = re.compile(r"\b(?:" + "|".join(GREETINGS) + r"),?\s+$", re.I)
THING_NOUNS = frozenset(
    """service services group groups app apps place school charity course programme program
    website site game show film book organisation organization project club centre center
    shop pub street road estate team thing scheme page channel song band""".split()
)
KNOWN_FOLLOWERS = NAME_FOLLOWERS | frozenset("is was has had and".split())
DETERMINERS = frozenset("a an the this that these those some any no every each such".split())
TIME_PREPS = frozenset(
    """in on by since until till of from through last next early late mid end this every
    before after around during into""".split()
)
PLACE_PREPS = frozenset(
    "in from near around across outside visit visiting visited of via towards toward".split()
)
MOVE_VERBS = frozenset(
    "went go goes going gone moved move moving fly flew flying trip holiday back down up over".split()
)
HOLIDAY_BEFORE = frozenset("christmas year's years valentine's".split())
# Lower-case forms too likely to be something else (a word, an abbreviation) to redact.
LOWER_UNSAFE = frozenset(
    """mac reg des dee kay les val vic mel sal nat hal len jan ola ama dev lou mae mai lin nic
    kat rex ted sid ben jim ron tim dan jon sam kim ian joe roy pam zac ray lee gray eden
    cain kerr carr tate cole kent grace""".split()
)

# ---------------------------------------------------------------------------------------
# Patterns for structured identifiers

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SPOKEN_EMAIL = re.compile(
    r"\b[\w.-]+(?:\s+dot\s+[\w-]+)*\s+at\s+[\w-]+(?:\s+dot\s+[\w-]+)*"
    r"\s+dot\s+(?:com|net|org|uk|gov|nhs|ac|me|io|info)\b", re.I,
)
_PHONE_START = re.compile(r"(?<![\w+])(?:\+\s?44|0044|\(0|0)(?=[\d\s().-])")
_NHS = re.compile(r"(?<![\w-])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\w-])")
_NHS_CUE = re.compile(r"\bnhs\b", re.I)
_POSTCODE_UPPER = re.compile(r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b")
_POSTCODE_LOWER = re.compile(r"\b[a-pr-uwyz][a-hk-y]?\d[a-z\d]? \d[abd-hjlnp-uw-z]{2}\b")
_OUTWARD = re.compile(r"\b[A-PR-UWYZ][A-HK-Y]?\d{1,2}[A-Z]?\b")
_POSTCODE_CUE = re.compile(r"\bpost\s?codes?\b[^.!?\n]{0,20}$", re.I)
_LIST_SEP = re.compile(r"^\s*(?:,|/|and|or|&)\s*$", re.I)

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_YEAR = r"(?:19|20)\d{2}"
_ORD = r"(?:st|nd|rd|th)"
_FULL_DATES = [
    re.compile(r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/-]|\.\d)"),
    re.compile(rf"\b{_YEAR}-\d{{1,2}}-\d{{1,2}}\b"),
    re.compile(rf"\b(?:the\s+)?\d{{1,2}}{_ORD}?(?:\s+of)?\s+{_MONTH}\b\.?,?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_MONTH}\.?\s+(?:the\s+)?\d{{1,2}}{_ORD}?,?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b(?:Christmas|Boxing|New\s+Year['’]s|Valentine['’]s|Halloween|Easter)"
               rf"(?:\s+(?:Day|Eve|Sunday))?,?\s+{_YEAR}\b"),
]
_PARTIAL_DATES = [
    re.compile(rf"\b(?:the\s+)?\d{{1,2}}{_ORD}?(?:\s+of)?\s+{_MONTH}\b", re.I),
    re.compile(rf"\b{_MONTH}\.?\s+(?:the\s+)?\d{{1,2}}{_ORD}?\b(?!\s*(?::|am|pm))", re.I),
    re.compile(rf"\b{_MONTH}\.?,?\s+{_YEAR}\b", re.I),
    re.compile(r"\b(?:Christmas|Boxing|New\s+Year['’]s|Valentine['’]s|Halloween|Easter)"
               r"(?:\s+(?:Day|Eve|Sunday))?\b"),
    re.compile(rf"\b{_YEAR}\b"),
    re.compile(rf"\b(?:the\s+)?\d{{1,2}}{_ORD}\b"),
    re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October"
               r"|November|December)\b"),
]
_BIRTH_CUE = re.compile(
    r"\b(?:born|birthday|birth\s*day|date\s+of\s+birth|birth\s*date|d\.\s?o\.\s?b\b\.?|dob\b)",
    re.I,
)
_CUE_GAP = re.compile(r"^(?:['’]s|\s|:|-|,|\(|\bis\b|\bwas\b|\bon\b|\bin\b|\bof\b|\bhis\b"
                      r"|\bher\b|\bmy\b|\btheir\b|\bthe\b)*$", re.I)
_CUE_AFTER = re.compile(r"^[\s,)\-–(]*(?:(?:is|was|,|which\s+is|that['’]s|that\s+is)\s+)?"
                        r"(?:(?:his|her|my|their|the|your)\s+)?(?:date\s+of\s+birth|dob|d\.o\.b|birthday)",
                        re.I)

_ABBREVIATED = r"(?:Rd|St|Ave|Ln|Ct|Cres|Gdns|Sq)"
_SUFFIX = (r"(?:Road|Rd|Street|St|Close|Avenue|Ave|Lane|Ln|Drive|Way|Court|Ct|Crescent|Cres"
           r"|Gardens|Gdns|Terrace|Place|Grove|Hill|Park|Row|Walk|Mews|Square|Sq|View|Rise"
           r"|Green|Parade|Vale|Fold|Croft|Mount|Bank|Approach|Boulevard|Wharf|Chase|Meadows"
           r"|Heights|Fields|Garth|Wynd|Brow|Grange|Gate|Lea|Hollow|Glade|Cottages|Yard)")
_STRONG_SUFFIX = (r"(?:Road|Street|Avenue|Lane|Close|Drive|Crescent|Gardens|Terrace|Grove|Mews"
                  r"|Way|Rise|Parade)")
_STREET_WORD = r"[A-Z][\w'’-]*"
_HOUSE = re.compile(
    rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:{_STREET_WORD}\s+){{1,3}}(?:{_ABBREVIATED}\b\.?|{_SUFFIX}\b)"
)
_THE_HOUSE = re.compile(rf"\b\d{{1,4}}[A-Za-z]?,?\s+The\s+{_STREET_WORD}(?:\s+{_SUFFIX}\b)?")
_FLAT = re.compile(r"\b(?:[Ff]lat|[Aa]partment|Apt|Unit)\.?\s+(?:[Nn]o\.?\s*)?\d{1,4}[A-Za-z]?\b")
_FLAT_STREET = re.compile(rf"^,?\s+(?:{_STREET_WORD}\s+){{1,3}}{_SUFFIX}\b")
_STREET_AFTER_PREP = re.compile(
    rf"\b(?:on|at|off|in|near|from|to|along|up|down|round|opposite|onto|into|behind|past|via|of)"
    rf"\s+((?:{_STREET_WORD}\s+){{1,2}}?{_STRONG_SUFFIX})\b"
)
_LOWER_HOUSE = re.compile(
    r"\b\d{1,4}[a-z]?,?\s+(?:[a-z]+\s+){1,2}?(?:road|street|close|avenue|lane|drive|way|crescent"
    r"|gardens|terrace|grove|place|court|mews|rise)\b"
)
_ADDRESS_CUE = re.compile(
    r"\b(?:live|lives|living|lived|moved|moving|move|staying|stays|stay|stopping|address|house"
    r"|flat|number|round|post)\b[^.!?\n]{0,25}$", re.I,
)
_NOT_STREET = frozenset(
    "family crown magistrates magistrates' youth county high supreme appeal the a my her his".split()
)

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.I)
_SENTENCE_END = set(".!?…:;\n")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Dr|St|Prof|Rev)$")
_OPENERS = set(" \t\"'“‘([*-–—")
_AGE = re.compile(
    r"^(?:['’]s|\s+is|\s+was|\s+aged|,\s+(?:who\s+is|who['’]s|aged)|\s*\()\s*"
    r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen)\b(?!\s*(?:%|percent|pounds|quid|times|minutes|hours"
    r"|days|weeks|o['’]clock|am|pm|:|[/.]\d))", re.I,
)
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen".split())}

# Order in which overlapping finds win.
_PRIORITY = {"email": 0, "address": 1, "phone": 2, "nhs_number": 3, "postcode": 4,
             "date_of_birth": 5, "date": 6, "name": 7, "place": 8}


@lru_cache(maxsize=1)
def given_names() -> dict[str, str]:
    """The shipped list of given names: casefolded name -> tag ("", "word", "month", "place")."""
    out: dict[str, str] = {}
    for line in NAMES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, tag = line.partition("\t")
        out[name.strip().casefold()] = tag.strip()
    return out


@lru_cache(maxsize=1)
def _trained_pipeline() -> Any:
    """A trained spaCy English pipeline if one is installed, else None (never downloads)."""
    for name in ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm"):
        if importlib.util.find_spec(name) is not None:
            import spacy

            return spacy.load(name)
    return None


# ---------------------------------------------------------------------------------------
# The session: people seen so far and their placeholders


@dataclass
class _Person:
    key: str
    child: int = 0
    adult: int = 0
    order: int = -1  # order of first mention; -1 while never mentioned
    placeholder: str = ""
    word: bool = False  # the name is also an everyday word: capitalised matches only


@dataclass
class _Span:
    start: int
    end: int
    kind: str
    person: _Person | None = None


@dataclass
class _Token:
    start: int
    end: int  # end of the name part (before a possessive 's)
    text: str  # the name part
    possessive: bool


@dataclass
class _Session:
    settings: RedactionSettings
    given: Iterable[str] = ()
    people: dict[str, _Person] = field(default_factory=dict)
    _mentions: int = 0

    def __post_init__(self) -> None:
        for name in self.given:
            parts = [t.text for t in _tokens(name)]
            if parts:
                self._register(parts)

    # -- knowing people

    def _register(self, parts: list[str], child: int = 0, adult: int = 0) -> _Person:
        key = parts[0].casefold()
        person = self.people.get(key)
        if person is None:
            person = _Person(key, word=_is_wordlike(parts[0]))
            self.people[key] = person
        person.child += child
        person.adult += adult
        for p in parts[1:]:
            alias = p.casefold()
            if alias not in self.people and alias not in ROLE_WORDS and alias not in STOP_CAPS:
                self.people[alias] = person
        return person

    def learn_label(self, label: str) -> None:
        """Register the names in a speaker label (speakers count as adults, weakly)."""
        if self.settings.names:
            for parts, _, _ in _label_names(label):
                self._register(parts, adult=1)

    def learn(self, text: str) -> None:
        """Register names that cues introduce ("my son Kayden", "called Jo", "Mrs Patel")."""
        if not self.settings.names or not text:
            return
        toks = _tokens(text)
        for i, tok in enumerate(toks):
            cue_kind = _cue_kind(toks, i, text)
            if cue_kind is None:
                continue
            j = i + 1
            if j >= len(toks) or tok.possessive:
                continue
            gap = text[tok.end:toks[j].start]
            if not re.fullmatch(r"\.?\s*[,:]?\s*", gap) or "\n" in gap:
                continue
            first = True
            while j < len(toks):
                nxt = toks[j]
                if not _cue_name_ok(nxt.text, first):
                    break
                parts = [nxt.text]
                k = j
                while (k + 1 < len(toks) and not toks[k].possessive
                       and text[toks[k].end:toks[k + 1].start] == " "
                       and _surname_ok(toks[k + 1].text)):
                    k += 1
                    parts.append(toks[k].text)
                self._register(parts, child=2 * (cue_kind == "child"),
                               adult=2 * (cue_kind == "adult"))
                first = False
                # "the twins, Jack and Harry": the same cue covers a list of names.
                if k + 1 < len(toks) and not toks[k].possessive:
                    n = k + 2 if toks[k + 1].text == "and" else k + 1
                    sep = text[toks[k].end:toks[n].start] if n < len(toks) else ""
                    if re.fullmatch(r"\s*(?:,|&|,?\s+and)\s*", sep) and _capitalised(toks[n].text):
                        j = n
                        continue
                break

    # -- finding

    def find_label(self, label: str) -> list[_Span]:
        """Name spans in a speaker label; role words and titles stay."""
        if not self.settings.names:
            return []
        spans = []
        for parts, start, end in _label_names(label):
            person = self.people.get(parts[0].casefold()) or self._register(parts, adult=1)
            self._mention(person)
            spans.append(_Span(start, end, "name", person))
        return spans

    def find(self, text: str) -> list[_Span]:
        """Everything to redact in `text`, non-overlapping, in order."""
        if not text:
            return []
        st = self.settings
        spans: list[_Span] = []
        if st.emails:
            spans += _find_emails(text)
        if st.addresses:
            spans += _find_addresses(text)
        if st.phones:
            spans += _find_phones(text)
        if st.nhs_numbers:
            spans += _find_nhs(text)
        if st.postcodes:
            spans += _find_postcodes(text)
        if st.dates_of_birth or st.other_dates:
            spans += [s for s in _find_dates(text) if st.on(s.kind)]
        spans = _resolve(spans)
        if st.names:
            spans = _resolve(spans + self._find_names(text, spans))
        if st.model_entities:
            spans = _resolve(spans + self._find_entities(text, spans))
        for s in spans:
            if s.person is not None:
                self._mention(s.person)
        return spans

    def _mention(self, person: _Person) -> None:
        if person.order < 0:
            person.order = self._mentions
            self._mentions += 1

    def _find_names(self, text: str, taken: list[_Span]) -> list[_Span]:
        toks = [t for t in _tokens(text) if not _overlaps(t.start, t.end, taken)]
        out: list[_Span] = []
        i = 0
        while i < len(toks):
            tok = toks[i]
            person = self._name_at(text, toks, i)
            if person is None:
                i += 1
                continue
            end, k = tok.end, i
            while (k + 1 < len(toks) and not toks[k].possessive and k - i < 2
                   and text[toks[k].end:toks[k + 1].start] == " "
                   and _surname_ok(toks[k + 1].text)
                   and self.people.get(toks[k + 1].text.casefold(), person) is person):
                k += 1
                end = toks[k].end
            age = _AGE.match(text[end:])
            if age:
                n = age.group(1).lower()
                if _NUMBER_WORDS.get(n, int(n) if n.isdigit() else 99) < 18:
                    person.child += 1
            out.append(_Span(tok.start, end, "name", person))
            i = k + 1
        return out

    def _name_at(self, text: str, toks: list[_Token], i: int) -> _Person | None:
        """The person that token i names, or None if it is not a name here."""
        tok = toks[i]
        word = tok.text
        key = word.casefold()
        if key in ROLE_WORDS or key in STOP_CAPS or len(word) < 2:
            return None
        if word.isupper() and len(word) > 1:
            if len(word) < 3:
                return None
            word = word.title()
        cap = _capitalised(word)
        tag = _tag(word)
        person = self.people.get(key)
        prev = _prev_word(text, tok.start)
        initial = _sentence_initial(text, tok.start)
        if person is not None:
            if not (person.word or tag):
                return person if (cap or len(word) >= 3) else None
            if not cap:
                return None
            if initial:
                return person if _followed_as_name(text, toks, i, KNOWN_FOLLOWERS) else None
            return None if _guarded(tag or "word", prev, text, tok) else person
        if tag is None:
            if cap and not word.isupper() and _unlisted_name_context(text, toks, i):
                return self._register([word])
            return None
        if not cap:
            if tag or len(word) < 3 or key in LOWER_UNSAFE or prev in DETERMINERS:
                return None
            return self._register([word])
        if tag == "":
            return self._register([word])
        if tag == "month":
            return None
        if initial:
            if _followed_as_name(text, toks, i, NAME_FOLLOWERS):
                return self._register([word])
            return None
        if _guarded(tag, prev, text, tok):
            return None
        return self._register([word])

    def _find_entities(self, text: str, taken: list[_Span]) -> list[_Span]:
        nlp = _trained_pipeline()
        if nlp is None:
            return []
        out = []
        for ent in nlp(text).ents:
            if _overlaps(ent.start_char, ent.end_char, taken):
                continue
            if ent.label_ == "PERSON" and self.settings.names:
                parts = [t.text for t in _tokens(ent.text)]
                if parts and parts[0].casefold() not in ROLE_WORDS | STOP_CAPS:
                    out.append(_Span(ent.start_char, ent.end_char, "name", self._register(parts)))
            elif ent.label_ == "GPE":
                out.append(_Span(ent.start_char, ent.end_char, "place"))
        return out

    # -- placeholders

    def number(self) -> None:
        """Give every mentioned person a placeholder, numbered per kind by first mention."""
        counts: dict[str, int] = {}
        unique = {id(p): p for p in self.people.values()}.values()
        for p in sorted((p for p in unique if p.order >= 0), key=lambda p: p.order):
            kind = "CHILD" if p.child > p.adult else "ADULT" if p.adult else "PERSON"
            counts[kind] = counts.get(kind, 0) + 1
            p.placeholder = f"[{kind} {counts[kind]}]"

    def placeholder(self, span: _Span) -> str:
        if span.person is not None:
            return span.person.placeholder or "[PERSON]"
        return PLACEHOLDERS[span.kind]

    def render(self, text: str, spans: list[_Span]) -> str:
        out, pos = [], 0
        for s in spans:
            out.append(text[pos:s.start])
            out.append(self.placeholder(s))
            pos = s.end
        out.append(text[pos:])
        return "".join(out)


# ---------------------------------------------------------------------------------------
# Names: helpers


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _TOKEN.finditer(text):
        word, possessive = m.group(), False
        if _POSSESSIVE.search(word) and len(word) > 2:
            word, possessive = word[:-2], True
        out.append(_Token(m.start(), m.start() + len(word), word, possessive))
    return out


def _tag(word: str) -> str | None:
    """The name list's tag for a word, or None if it is not a listed name."""
    names = given_names()
    key = word.casefold()
    if key in names:
        return names[key]
    parts = word.split("-")
    if len(parts) > 1 and all(_capitalised(p) for p in parts) and parts[0].casefold() in names:
        return names[parts[0].casefold()]
    return None


def _is_wordlike(word: str) -> bool:
    return bool(_tag(word)) or word.casefold() in LOWER_UNSAFE or word.casefold() in STOP_CAPS


def _capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper()


def _surname_ok(word: str) -> bool:
    """A capitalised word that can follow a given name as part of it ("Jones", "O'Brien")."""
    key = word.casefold()
    return (_capitalised(word) and len(word) >= 2 and not word.isupper()
            and key not in STOP_CAPS and key not in ROLE_WORDS and _tag(word) not in ("month",))


def _cue_name_ok(word: str, first: bool) -> bool:
    key = word.casefold()
    if key in STOP_CAPS or key in ROLE_WORDS or len(word) < 2:
        return False
    if _capitalised(word):
        return not (word.isupper() and len(word) <= 3)
    tag = _tag(word)
    return first and tag == "" and len(word) >= 3 and key not in LOWER_UNSAFE


def _cue_kind(toks: list[_Token], i: int, text: str) -> str | None:
    """"child", "adult" or "person" if token i is a cue that names who follows, else None."""
    low = toks[i].text.casefold()
    if low in TITLES and _capitalised(toks[i].text):
        return "adult"
    if _capitalised(toks[i].text) and not _sentence_initial(text, toks[i].start):
        return None  # "Child Benefit", "Partner Agency": part of a proper name, not a cue
    if low in CHILD_CUES:
        return "child"
    if low in PERSON_CUES:
        prev = toks[i - 1].text.casefold() if i else ""
        return "child" if prev in YOUNG else "person"
    if low in ADULT_CUES:
        return "adult"
    if CALLED.search(text[max(0, toks[i].start - 20):toks[i].end]):
        # "a little boy called Tyler": the kind comes from a cue word earlier in the clause.
        for t in reversed(toks[max(0, i - 8):i]):
            w = t.text.casefold()
            if w in THING_NOUNS:
                return None
            if w in CHILD_CUES:
                return "child"
            if w in ADULT_CUES:
                return "adult"
            if w in PERSON_CUES:
                return "person"
        return "person"
    return None


_PREV_WORD = re.compile(r"([^\W\d_]+(?:['’][^\W\d_]+)?)\W*$")


def _prev_word(text: str, start: int) -> str:
    m = _PREV_WORD.search(text[max(0, start - 30):start])
    return m.group(1).casefold() if m else ""


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    if i < 0 or text[i] in _SENTENCE_END and not (text[i] == "." and _ABBREVIATION.search(text[max(0, i - 5):i])):
        return True
    return False


def _unlisted_name_context(text: str, toks: list[_Token], i: int) -> bool:
    """A capitalised word not in the list reads as a name: "Hiya Zed,", "..., Zed?", "Zed said"."""
    tok = toks[i]
    if (not tok.possessive and i + 1 < len(toks) and text[tok.end:toks[i + 1].start] == " "
            and toks[i + 1].text.casefold() in REPORTING):
        return True
    after = text[tok.end:tok.end + 1]
    if after not in ("", ",", ".", "!", "?"):
        return False
    before = text[max(0, tok.start - 14):tok.start]
    if _GREETING.search(before):
        return True
    return after in ("?", "!") and bool(re.search(r"[^\W\d_],\s*$", before))


def _followed_as_name(text: str, toks: list[_Token], i: int, verbs: frozenset[str]) -> bool:
    """At a sentence start: "Faith said", "Will's", "Rose and Holly" read as names."""
    if toks[i].possessive:
        return True
    if i + 1 >= len(toks) or text[toks[i].end:toks[i + 1].start] != " ":
        return False
    nxt = toks[i + 1]
    w = nxt.text.casefold()
    if w in verbs and not nxt.possessive:
        return True
    if w == "and" and i + 2 < len(toks) and text[nxt.end:toks[i + 2].start] == " ":
        other = toks[i + 2].text
        return _capitalised(other) and _tag(other) is not None
    return False


def _guarded(tag: str, prev: str, text: str, tok: _Token) -> bool:
    """True if the context makes a name that is also a word, month or place read as such."""
    if prev in DETERMINERS or prev in HOLIDAY_BEFORE:
        return True
    after = text[tok.end:tok.end + 12]
    if re.match(r"\s+Day\b", after):
        return True
    if tag == "month":
        return prev in TIME_PREPS or bool(re.match(r"\s*\d", after)) or bool(
            re.search(r"\d(?:st|nd|rd|th)?(?:\s+of)?\s*$", text[max(0, tok.start - 10):tok.start]))
    if tag == "place":
        moved = re.search(r"([^\W\d_]+)\s+to\s+$", text[max(0, tok.start - 30):tok.start])
        return prev in PLACE_PREPS or bool(moved and moved.group(1).casefold() in MOVE_VERBS)
    return False


def _label_names(label: str) -> list[tuple[list[str], int, int]]:
    """Runs of name words in a speaker label, with offsets: "Sarah Jones (Mum)" -> Sarah Jones."""
    key = label_key(label)
    if not key or key in PRACTITIONER_LABELS or key in CLIENT_LABELS or any(c.isdigit() for c in label):
        return []
    runs: list[tuple[list[str], int, int]] = []
    for tok in _tokens(label):
        w = tok.text.casefold()
        keep = (w in ROLE_WORDS or w in TITLES or len(tok.text) < 2
                or (tok.text.isupper() and len(tok.text) <= 3)
                or label_key(tok.text) in PRACTITIONER_LABELS or label_key(tok.text) in CLIENT_LABELS)
        if keep:
            continue
        if runs and label[runs[-1][2]:tok.start] == " ":
            parts, start, _ = runs[-1]
            runs[-1] = (parts + [tok.text], start, tok.end)
        else:
            runs.append(([tok.text], tok.start, tok.end))
    return runs


# ---------------------------------------------------------------------------------------
# Structured identifiers


def _find_emails(text: str) -> list[_Span]:
    out = []
    for m in _EMAIL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".-'":
            end -= 1
        out.append(_Span(m.start(), end, "email"))
    out += [_Span(m.start(), m.end(), "email") for m in _SPOKEN_EMAIL.finditer(text)]
    return out


def _find_phones(text: str) -> list[_Span]:
    out = []
    for m in _PHONE_START.finditer(text):
        end = _phone_end(text, m.start(), m.group())
        if end:
            out.append(_Span(m.start(), end, "phone"))
    return out


def _phone_end(text: str, start: int, prefix: str) -> int | None:
    """The end of a valid UK phone number starting at `start`, or None."""
    international = prefix.startswith(("+", "00"))
    i = start + len(prefix)
    digits = "0" if prefix.endswith("0") else ""
    best = None
    while i < len(text):
        # one separator (space, hyphen, dot, bracket, or a space with brackets) at most
        j = i
        while j < len(text) and text[j] in " ().-" and j - i < 3:
            j += 1
        if j < len(text) and text[j] == "\n":
            break
        if j >= len(text) or not text[j].isdigit():
            break
        if j - i >= 3 or (j > i and text[i:j].count(" ") > 1):
            break
        k = j
        while k < len(text) and text[k].isdigit():
            k += 1
        digits += text[j:k]
        i = k
        if len(digits) > 13:
            break
        if _valid_phone(digits, international):
            best = k
    if best is not None and best < len(text) and text[best].isdigit():
        return None
    return best


def _valid_phone(digits: str, international: bool) -> bool:
    if international:
        digits = digits[1:] if digits.startswith("0") else digits
        digits = "0" + digits
    if not re.fullmatch(r"0[1235789]\d{8,9}", digits):
        return False
    return len(digits) == 11 or digits[1] in "189"


def nhs_check_digit_ok(digits: str) -> bool:
    """True if ten digits pass the NHS number's modulus-11 check."""
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _find_nhs(text: str) -> list[_Span]:
    out = []
    for m in _NHS.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        if digits.startswith("0"):
            continue
        formatted = bool(m.group(2))
        cue = bool(_NHS_CUE.search(text[max(0, m.start() - 40):m.start()]))
        if formatted or cue or nhs_check_digit_ok(digits):
            out.append(_Span(m.start(), m.end(), "nhs_number"))
    return out


def _find_postcodes(text: str) -> list[_Span]:
    full = [_Span(m.start(), m.end(), "postcode") for m in _POSTCODE_UPPER.finditer(text)]
    full = _resolve(full + [_Span(m.start(), m.end(), "postcode")
                            for m in _POSTCODE_LOWER.finditer(text)])
    out = list(full)
    for m in _OUTWARD.finditer(text):
        if _overlaps(m.start(), m.end(), full):
            continue
        n = bisect.bisect_left(full, m.start(), key=lambda s: s.start)
        listed = (n < len(full) and _LIST_SEP.match(text[m.end():full[n].start])) or (
            n > 0 and _LIST_SEP.match(text[full[n - 1].end:m.start()]))
        if listed or _POSTCODE_CUE.search(text[max(0, m.start() - 40):m.start()]):
            out.append(_Span(m.start(), m.end(), "postcode"))
    return out


def _find_dates(text: str) -> list[_Span]:
    """Dates of birth (next to a birth cue) and other full dates."""
    cands: list[tuple[int, int, bool]] = []
    for full, patterns in ((True, _FULL_DATES), (False, _PARTIAL_DATES)):
        for rx in patterns:
            cands += [(m.start(), m.end(), full) for m in rx.finditer(text)
                      if _plausible_date(m.group())]
    # the longest reading of each stretch wins; a full date is full whichever pattern found it
    full_at: dict[tuple[int, int], bool] = {}
    for a, b, full in cands:
        full_at[(a, b)] = full_at.get((a, b), False) or full
    chosen = [(s.start, s.end, full_at[(s.start, s.end)])
              for s in _resolve([_Span(a, b, "date") for a, b in full_at])]
    claimed: set[int] = set()
    starts = [c[0] for c in chosen]
    for cue in _BIRTH_CUE.finditer(text):
        n = bisect.bisect_left(starts, cue.end())
        if n < len(chosen) and starts[n] - cue.end() <= 30 and _CUE_GAP.match(text[cue.end():starts[n]]):
            claimed.add(n)
    out = []
    for n, (s, e, full) in enumerate(chosen):
        if n in claimed or _CUE_AFTER.match(text[e:e + 40]):
            out.append(_Span(s, e, "date_of_birth"))
        elif full:
            out.append(_Span(s, e, "date"))
    return out


def _plausible_date(s: str) -> bool:
    """Numeric dates need a real day and month (day first, as in the UK)."""
    parts = re.split(r"[/.-]", s)
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return True
    day, month = (int(parts[2]), int(parts[1])) if len(parts[0]) == 4 else (int(parts[0]), int(parts[1]))
    return 1 <= day <= 31 and 1 <= month <= 12


def _find_addresses(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for m in _HOUSE.finditer(text):
        words = m.group().split()
        if words[-2].casefold().rstrip(",") in _NOT_STREET:
            continue
        spans.append(_Span(m.start(), m.end(), "address"))
    spans += [_Span(m.start(), m.end(), "address") for m in _THE_HOUSE.finditer(text)]
    for m in _LOWER_HOUSE.finditer(text):
        if _ADDRESS_CUE.search(text[max(0, m.start() - 40):m.start()]):
            spans.append(_Span(m.start(), m.end(), "address"))
    for m in _STREET_AFTER_PREP.finditer(text):
        if m.group(1).split()[0].casefold() not in DETERMINERS:
            spans.append(_Span(m.start(1), m.end(1), "address"))
    for m in _FLAT.finditer(text):
        end = m.end()
        tail = _FLAT_STREET.match(text[end:])
        if tail:
            end += tail.end()
        spans.append(_Span(m.start(), end, "address"))
    spans = _resolve(spans)
    # "Flat 12, 3 Mill Lane": join a flat number to the house that follows it.
    joined: list[_Span] = []
    for s in spans:
        if joined and re.fullmatch(r",?\s*", text[joined[-1].end:s.start]) and \
                text[joined[-1].start:joined[-1].end].split()[0].casefold() in ("flat", "apartment", "apt", "unit"):
            joined[-1] = _Span(joined[-1].start, s.end, "address")
        else:
            joined.append(s)
    return joined


# ---------------------------------------------------------------------------------------
# Spans


def _overlaps(start: int, end: int, spans: list[_Span]) -> bool:
    """True if [start, end) overlaps one of `spans` (sorted by start, not overlapping)."""
    n = bisect.bisect_left(spans, start + 1, key=lambda s: s.start)
    return (n > 0 and spans[n - 1].end > start) or (n < len(spans) and spans[n].start < end)


def _resolve(spans: list[_Span]) -> list[_Span]:
    """Non-overlapping spans in text order: by kind priority, then the longer one."""
    ranked = sorted(spans, key=lambda s: (_PRIORITY[s.kind], s.start - s.end, s.start))
    chosen: list[_Span] = []
    for s in ranked:
        if s.end > s.start and not _overlaps(s.start, s.end, chosen):
            bisect.insort(chosen, s, key=lambda c: c.start)
    return chosen


def settings_for(kinds: str) -> RedactionSettings:
    """Redaction settings from a comma-separated list of kinds ("" or "all": everything)."""
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    if not wanted or wanted == ["all"]:
        return RedactionSettings()
    model = "place" in wanted or "model" in wanted
    chosen = RedactionSettings.only(*[k for k in wanted if k not in ("place", "model")])
    return replace(chosen, model_entities=model)


def split_names(text: str) -> list[str]:
    """Names typed one a line or separated by commas or semicolons."""
    return [n.strip() for n in re.split(r"[,;\n]", text or "") if n.strip()]


def redact_ingest(
    transcripts: list[Transcript], *, names: Iterable[str] = (), change_goals: str = "",
    title: str = "", settings: RedactionSettings | None = None,
) -> tuple[list[Transcript], str, str]:
    """Redact parsed transcripts (roles already assigned) before they are coded and stored.

    The change goal and title are redacted together with the first transcript, so a child
    named in the goal gets the same placeholder as in the conversation.
    """
    names = list(names)
    out: list[Transcript] = []
    for i, t in enumerate(transcripts):
        extra = {"\0goals": change_goals, "\0title": title} if i == 0 else {}
        r = redact(replace(t, metadata={**t.metadata, **extra}), names=names, settings=settings)
        meta = dict(r.metadata)
        if i == 0:
            change_goals, title = meta.pop("\0goals"), meta.pop("\0title")
        out.append(replace(r, metadata=meta))
    if not transcripts:
        change_goals = redact_text(change_goals, names=names, settings=settings)
        title = redact_text(title, names=names, settings=settings)
    return out, change_goals, title
