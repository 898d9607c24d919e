"""Features of one utterance in its context, for the model.

An utterance is seen with the turn it belongs to and the other speaker's previous turn:
a reflection restates the client's last words in the second person, a question has a
question form, change talk has first-person desire, ability, reason, need or commitment.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from classifiers.rules import matching_rules


@dataclass(frozen=True)
class UtteranceInContext:
    """What the model sees for one utterance."""

    text: str
    role: str
    previous_turn: str = ""  # the other speaker's last turn before this one
    index: int = 0  # position of the utterance in its turn
    count: int = 1  # utterances in the turn
    before: str = ""  # the same speaker's previous utterance in this turn
    after: str = ""  # the same speaker's next utterance in this turn
    heard: frozenset[str] = frozenset()  # content words of the other speaker's recent turns


_WORD = re.compile(r"[a-z']+")
_STOP = frozenset("""a about after again all also am an and any are as at be because been but by
can could did do does doing don't down for from get got had has have having he her here him his
how i i'm if in into is it it's its just know like me more my no not now of off oh okay on one or
our out really right so some than that that's the their them then there they this to too um uh up
very was we well were what when where which who why will with would yeah yes you you're your""".split())
_CUES = {
    "q_mark": r"\?\s*$",
    "wh_start": r"^(?:\W*(?:so|and|okay|ok|well|um|uh|now)\b[\s,]*)*(?:what|how|why|when|where|who|which)\b",
    "aux_start": r"^(?:\W*(?:so|and|okay|ok|well|um|uh|now)\b[\s,]*)*(?:do|does|did|is|are|was|were|have|has|can|could|would|will|should)\b",
    "you_start": r"^(?:\W*(?:so|and|okay|ok|well|um|uh|yeah|mm-hmm)\b[\s,]*)*(?:you|your|you're|you've|you'd|you'll)\b",
    "so_you": r"\bso\b[\s,]*(?:you|it|that|what)\b",
    "reflect_stem": r"\b(?:sounds like|sounds as if|it seems|seems like|you feel|you're feeling|you felt|what i'm hearing|what i hear|you're saying|you're telling me|part of you|on (?:the )?one hand|on the other hand|you're wondering|you're worried|you're not sure|you wish|for you)\b",
    "hedge": r"\b(?:maybe|perhaps|kind of|sort of|a bit|a little|i guess|i wonder|might|almost)\b",
    "feeling": r"\b(?:feel|feeling|felt|scared|afraid|worried|angry|frustrated|sad|upset|hurt|ashamed|guilty|lonely|tired|exhausted|overwhelmed|stuck|proud|relieved|hopeful|torn|fed up)\b",
    "values": r"\b(?:matters?|important|care about|means? a lot|the kind of|deep down|really want)\b",
    "i_start": r"^(?:\W*(?:so|and|okay|ok|well|um|uh|yeah|no|but)\b[\s,]*)*(?:i|i'm|i've|i'd|i'll|me|my)\b",
    "we_i_you": r"\b(?:we|i|i'm|i've|i'd)\b",
    "advice": r"\b(?:should|need to|have to|must|ought to|better|why don't you|try to|the best thing|recommend|suggest|advise)\b",
    "info": r"\b(?:research|studies|most people|some people|many people|the (?:guidance|law|court|school|plan|service|doctor|nurse)|is (?:a|an|the)|means|can cause|will be|there (?:is|are))\b",
    "permission": r"\b(?:if (?:it's|that's) (?:ok|okay|alright|all right)|with your permission|if you like|if you want|if you're interested|it's up to you|your choice|you decide)\b",
    "negation": r"\b(?:not|no|never|don't|can't|won't|isn't|aren't|wasn't|didn't|doesn't|haven't|couldn't|wouldn't|nothing|nobody)\b|n't\b",
    "desire": r"\b(?:want|wish|hope|would like|i'd like|rather|prefer)\b",
    "ability": r"\b(?:can|could|able|manage|possible|capable)\b",
    "reason": r"\b(?:because|so that|if i|then i|better for|worse|sake|for the kids|for my)\b",
    "need": r"\b(?:need|have to|got to|gotta|must|should|important)\b",
    "commit": r"\b(?:i will|i'll|i'm going to|gonna|i promise|i plan|definitely|i'm ready|ready to|going to try|i intend)\b",
    "steps": r"\b(?:i've (?:started|stopped|cut|been|tried|booked|rung|called|gone)|i (?:started|stopped|cut down|tried|booked|rang|called|went)|haven't (?:had|used|drunk|smoked)|since)\b",
    "sustain_cue": r"\b(?:can't|won't|don't want|no point|not a problem|not an issue|nothing wrong|fine as|i like|helps me|need it|not ready|not going to|never|too hard|why should|it's not like)\b",
    "but": r"\bbut\b",
    "change_words": r"\b(?:stop|quit|cut down|cut back|reduce|less|change|different|better|healthier|safer|give up|get help)\b",
}
# What the practitioner's last sentence asked for, which colours the client's answer.
_ASKS = {
    "asks_change": r"\b(?:reasons?|benefits?|better|worr\w*|concern\w*|downsides?|not so good|costs?|costing|what would be different|important|importance|confident|confidence|ready|change)\b",
    "asks_good_side": r"\b(?:good things|like about|enjoy|get out of|gives? you|helps? you|hard(?:est)?|gets? in the way|difficult|worst)\b",
    "asks_plan": r"\b(?:plan|next step|going to do|what will you|how will you|first step|could you|might you|try)\b",
}
_ASK_PATTERNS = {name: re.compile(rx) for name, rx in _ASKS.items()}
_SENTENCE_END = re.compile(r"[.?!]+\s+")
# Matched against lower-cased text, so without re.IGNORECASE (several times faster).
_CUE_PATTERNS = {name: re.compile(rx) for name, rx in _CUES.items()}


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2)


@lru_cache(maxsize=4096)
def _asked_for(previous_turn: str) -> tuple[str, ...]:
    """What the last sentence of the practitioner's turn asked the client for."""
    last = _SENTENCE_END.split(previous_turn.strip().lower())[-1]
    return tuple(k for k, p in _ASK_PATTERNS.items() if p.search(last))


HEARD_TURNS = 8  # how far back a reflection usually reaches


class Hearing:
    """What each speaker has heard of the other in one conversation: the other's turn since
    they last spoke, and the content words of the other's last few turns (what can be
    reflected)."""

    def __init__(self, turns: int = HEARD_TURNS) -> None:
        self._recent: dict[str, deque[frozenset[str]]] = {}
        self._words: dict[str, frozenset[str]] = {}
        self._turns = turns
        self._last: tuple[str, str] = ("", "")  # the last turn: (role, text)

    def last_turn(self, role: str) -> str:
        """The role's turn, if it was the last one ("" once the other speaker has spoken)."""
        return self._last[1] if self._last[0] == role else ""

    def words_of(self, role: str) -> frozenset[str]:
        return self._words.get(role, frozenset())

    def add(self, role: str, text: str) -> None:
        self._last = (role, text)
        recent = self._recent.setdefault(role, deque(maxlen=self._turns))
        recent.append(content_words(text))
        self._words[role] = frozenset().union(*recent)


# Cues of the neighbouring utterances in the same turn, by role: a "you" sentence among
# advice is more likely advice than a reflection; "but" beside change talk marks ambivalence.
_SIBLING_CUES = {
    "practitioner": ("q_mark", "wh_start", "aux_start", "you_start", "reflect_stem", "advice",
                     "info", "permission", "i_start", "feeling"),
    "client": ("desire", "ability", "reason", "need", "commit", "steps", "sustain_cue", "but",
               "negation", "change_words"),
}


@lru_cache(maxsize=8192)
def _sibling_cues(low: str, role: str) -> tuple[str, ...]:
    return tuple(k for k in _SIBLING_CUES.get(role, ()) if _CUE_PATTERNS[k].search(low))


def hand_features(u: UtteranceInContext) -> dict[str, float]:
    """Numeric cues: question form, reflection signals, context overlap, talk kinds."""
    text = u.text.strip()
    low = text.lower()
    words = _WORD.findall(low)
    n = max(len(words), 1)
    f: dict[str, float] = {f"cue:{k}": 1.0 for k, p in _CUE_PATTERNS.items() if p.search(low)}
    f["len_log"] = math.log1p(len(words)) / 4
    f["short"] = 1.0 if len(words) <= 3 else 0.0
    f["you_ratio"] = sum(w.startswith("you") for w in words) / n
    f["i_ratio"] = sum(w in ("i", "i'm", "i've", "i'd", "i'll", "me", "my") for w in words) / n
    f["first_in_turn"] = 1.0 if u.index == 0 else 0.0
    f["last_in_turn"] = 1.0 if u.index == u.count - 1 else 0.0
    f["single_in_turn"] = 1.0 if u.count == 1 else 0.0
    mine, theirs = content_words(text), content_words(u.previous_turn)
    if mine and theirs:
        shared = len(mine & theirs)
        f["overlap_mine"] = shared / len(mine)
        f["overlap_theirs"] = shared / len(theirs)
        f["overlap_any"] = 1.0 if shared else 0.0
    else:
        f["no_previous"] = 1.0 if not theirs else 0.0
    if mine and u.heard and u.role == "practitioner":
        # Words the client has used lately: a reflection carries the client's content,
        # advice and information bring the practitioner's own.
        known = len(mine & u.heard) / len(mine)
        f["heard_share"] = known
        f["heard_none"] = 1.0 if known == 0 else 0.0
        f["heard_most"] = 1.0 if known >= 0.5 else 0.0
    if "cue:q_mark" in f and "cue:wh_start" not in f and "cue:aux_start" not in f:
        # "So you'd rather keep the weekends free?": a short check is usually a question,
        # a long restatement of the client's words a reflection said with rising tone.
        size = "short" if len(words) <= 6 else "long"
        f[f"declarative_question:{size}"] = 1.0
        if f.get("overlap_any"):
            f[f"declarative_question:{size}:restating"] = 1.0
    if u.role == "client" and u.previous_turn:
        for k in _asked_for(u.previous_turn):
            f[f"prev:{k}"] = 1.0
    f["prev_question"] = 1.0 if u.previous_turn.rstrip().endswith("?") else 0.0
    if u.before:
        before = u.before.strip()
        f["before_question"] = 1.0 if before.endswith("?") else 0.0
        f["before_short"] = 1.0 if len(_WORD.findall(before.lower())) <= 3 else 0.0
        if mine and content_words(before) & mine:
            f["before_overlap"] = 1.0
        for k in _sibling_cues(before.lower(), u.role):
            f[f"before:{k}"] = 1.0
    if u.after:
        after = u.after.strip().lower()
        for k in _sibling_cues(after, u.role):
            f[f"after:{k}"] = 1.0
        if u.role == "practitioner" and mine and content_words(after) & mine:
            f["after_overlap"] = 1.0
    for rule in matching_rules(text, u.role):
        f[f"rule:{rule.id}"] = 1.0
    return f


def text_of(records: list[UtteranceInContext]) -> list[str]:
    """The utterance texts (for the n-gram vectorisers)."""
    return [r.text for r in records]


def previous_of(records: list[UtteranceInContext]) -> list[str]:
    """The other speaker's previous turn (for a context vectoriser)."""
    return [r.previous_turn for r in records]


def hand_features_of(records: list[UtteranceInContext]) -> list[dict[str, float]]:
    """Hand features of each record (for a DictVectorizer)."""
    return [hand_features(r) for r in records]
