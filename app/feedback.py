"""Supervision feedback built from a session's own words.

Pure: takes a coded session (corrections applied) and returns `SupervisionFeedback`:
strengths with quoted examples, growth areas with the practitioner's own utterances and a
suggested rewrite, the client change talk that could have been followed, and questions
for reflective supervision. Never imports the web layer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.coding import CodedSession
from classifiers.coder import Utterance

MAX_QUOTE = 220
SECTION_KEYS = ("strengths", "growth_areas", "change_talk", "questions")
SECTION_TITLES = {"strengths": "Strengths", "growth_areas": "Growth areas",
                  "change_talk": "Change talk that could have been followed",
                  "questions": "Questions for reflective supervision"}


@dataclass(frozen=True)
class Quote:
    text: str
    turn: int  # index of the turn in the session


@dataclass(frozen=True)
class Strength:
    title: str
    why: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Rewrite:
    original: Quote
    suggestion: str


@dataclass(frozen=True)
class GrowthArea:
    title: str
    why: str
    rewrites: tuple[Rewrite, ...]


@dataclass(frozen=True)
class MissedChangeTalk:
    client: Quote
    kind: str
    next_said: str  # what the practitioner said next ("" when the session ended)
    suggestion: str


@dataclass(frozen=True)
class SupervisionFeedback:
    strengths: tuple[Strength, ...]
    growth_areas: tuple[GrowthArea, ...]
    change_talk: tuple[MissedChangeTalk, ...]
    change_talk_total: int
    questions: tuple[str, ...] = field(default_factory=tuple)

    def as_sections(self) -> dict[str, str]:
        """Plain text per section (items apart by blank lines), for a supervisor to edit."""
        strengths = [f"{s.title}: {s.why}\n" + "\n".join(f"“{q.text}”" for q in s.quotes)
                     for s in self.strengths]
        growth = [f"{g.title}: {g.why}\n" + "\n".join(
            f"You said: “{r.original.text}”\nTry: {r.suggestion}" for r in g.rewrites)
            for g in self.growth_areas]
        talk = [f"Client: “{m.client.text}”" + (f"\nYou said next: “{m.next_said}”" if m.next_said else "")
                + f"\nTry reflecting it: {m.suggestion}" for m in self.change_talk]
        if not talk:
            talk = ["Every piece of change talk was followed by a reflection."
                    if self.change_talk_total else "No client change talk was coded in this session."]
        return {"strengths": "\n\n".join(strengths) or "No clear strengths were coded: "
                "look at the transcript together.",
                "growth_areas": "\n\n".join(growth) or "No growth areas stood out from the codes.",
                "change_talk": "\n\n".join(talk), "questions": "\n\n".join(self.questions)}


# Turning a session into feedback -----------------------------------------------------------

@dataclass
class _Said:
    u: Utterance
    turn: int
    role: str
    prev_client: str  # the client's last words before this practitioner turn


def build_feedback(session: CodedSession, *, change_goals: str = "") -> SupervisionFeedback:
    """Strengths, growth areas, missed change talk and questions from one coded session."""
    said = _utterances(session)
    practitioner = [s for s in said if s.role == "practitioner"]
    strengths = _strengths(practitioner, said)
    growth = _growth_areas(practitioner, said, change_goals)
    missed, total = _missed_change_talk(session)
    return SupervisionFeedback(tuple(strengths), tuple(growth), tuple(missed), total,
                               tuple(_questions(growth, missed, change_goals, strengths)))


def _utterances(session: CodedSession) -> list[_Said]:
    out, prev_client = [], ""
    for i, ct in enumerate(session.turns):
        if not ct.turn.coded:
            continue
        if ct.turn.role == "client":
            words = " ".join(u.text for u in ct.utterances if u.code != "NEUTRAL" or len(u.text) > 20)
            prev_client = words or prev_client
        out.extend(_Said(u, i, ct.turn.role, prev_client) for u in ct.utterances)
    return out


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[:MAX_QUOTE - 1].rsplit(" ", 1)[0] + "…"


def _best(items: Sequence[_Said], n: int = 2) -> tuple[Quote, ...]:
    """The clearest examples: confident, and long enough to mean something; in session order."""
    ranked = sorted(items, key=lambda s: (len(s.u.text.split()) >= 4, s.u.confidence,
                                          min(len(s.u.text), 120)), reverse=True)[:n]
    return tuple(Quote(_clip(s.u.text), s.turn) for s in sorted(ranked, key=lambda s: s.turn))


_STRENGTHS = [
    ("CR", "Complex reflections", "you reflected meaning beyond the words, which deepens the "
     "conversation and draws out change talk."),
    ("AF", "Affirming", "you named specific strengths and efforts, which builds confidence to change."),
    ("EMPHASIZE", "Supporting autonomy", "you left the choice with the parent, which lowers "
     "resistance even where there are limits."),
    ("SEEK", "Sharing power", "you asked permission and invited the parent's ideas."),
    ("Q_open", "Open questions", "you asked questions that invite the parent's own story."),
    ("SR", "Listening and reflecting back", "you showed you had heard by reflecting what was said."),
]
_CONCERN = re.compile(r"\b(?:worr|concern|safe|risk|harm)", re.I)


def _strengths(practitioner: list[_Said], said: list[_Said]) -> list[Strength]:
    by_code: dict[str, list[_Said]] = {}
    for s in practitioner:
        key = "Q_open" if s.u.code == "Q" and s.u.subtype == "open" else s.u.code
        by_code.setdefault(key, []).append(s)
    out: list[Strength] = []
    followed = _followed_change_talk(said)
    for code, title, why in _STRENGTHS:
        if code == "AF" and followed:  # following change talk ranks just after complex reflections
            out.append(Strength("Following change talk", "when the parent talked about change, "
                                "you reflected it back, which strengthens it.", _best(followed)))
            followed = []
        if by_code.get(code) and not (code == "SR" and by_code.get("CR")):
            out.append(Strength(title, why, _best(by_code[code])))
    # Quieter strengths, for sessions where the MI-consistent codes are few.
    concern = [s for s in by_code.get("GI", []) if _CONCERN.search(s.u.text)]
    fallbacks = [
        ("Clear about concerns", "you said plainly what worries you, which is good authority "
         "when it stays respectful.", concern),
        ("Keeping the conversation going", "you kept asking about the family's situation; "
         "the next step is to let the parent's answers lead.",
         by_code.get("Q_open", []) + [s for s in practitioner if s.u.code == "Q"]),
        ("Being clear about the facts", "you were open about the information the parent needs.",
         [s for s in by_code.get("GI", []) if s not in concern]),
    ]
    for title, why, items in fallbacks:
        if len(out) >= 2:
            break
        if items and not any(x.title == title for x in out):
            out.append(Strength(title, why, _best(items)))
    return out[:3]


def _followed_change_talk(said: list[_Said]) -> list[_Said]:
    out = []
    for i, s in enumerate(said):
        if s.role == "practitioner" and s.u.code in ("SR", "CR"):
            before = next((p for p in reversed(said[:i]) if p.role == "client"), None)
            if before and before.u.code == "CHANGE" and s.turn - before.turn <= 1:
                out.append(s)
    return out


def _growth_areas(practitioner: list[_Said], said: list[_Said], change_goals: str = "") -> list[GrowthArea]:
    closed = [s for s in practitioner if s.u.code == "Q" and s.u.subtype == "closed"]
    opened = [s for s in practitioner if s.u.code == "Q" and s.u.subtype == "open"]
    persuade = [s for s in practitioner if s.u.code == "PERSUADE"]
    confront = [s for s in practitioner if s.u.code == "CONFRONT"]
    unasked = _information_without_permission(said)
    simple = [s for s in practitioner if s.u.code == "SR"]
    complex_ = [s for s in practitioner if s.u.code == "CR"]
    candidates: list[tuple[float, GrowthArea]] = []
    if confront:
        candidates.append((3 * len(confront), GrowthArea(
            "Confronting to reflecting", "warning, blaming or arguing tends to strengthen sustain "
            "talk; reflecting the parent's side keeps them talking.",
            tuple(Rewrite(q, f"a reflection: “{reflect(s.prev_client)}”")
                  for s, q in _with_quotes(confront)))))
    if persuade:
        candidates.append((2 * len(persuade), GrowthArea(
            "Persuading to emphasising autonomy", "advice without permission invites push-back; "
            "putting the choice with the parent makes change theirs.",
            tuple(Rewrite(q, f"“{autonomy_rewrite(s.u.text)}”") for s, q in _with_quotes(persuade)))))
    if unasked:
        candidates.append((len(unasked), GrowthArea(
            "Asking before giving information", "information lands better when the parent has "
            "agreed to hear it and is asked what they make of it.",
            tuple(Rewrite(q, permission_rewrite(s.u.text)) for s, q in _with_quotes(unasked)))))
    if closed and len(closed) >= len(opened):
        candidates.append((len(closed), GrowthArea(
            "Closed questions to open questions or reflections", "closed questions get short "
            "answers; an open question or a reflection invites the parent's own story.",
            tuple(Rewrite(q, f"an open question, “{open_question(s.u.text)}”, or a reflection, "
                          f"“{reflect(s.prev_client)}”") for s, q in _with_quotes(closed)))))
    if simple and len(complex_) < len(simple):
        candidates.append((0.5 * len(simple), GrowthArea(
            "Deepening reflections", "simple reflections show you are listening; complex ones add "
            "the meaning or feeling underneath and move the conversation on.",
            tuple(Rewrite(q, f"“{deepen(s.u.text)}”") for s, q in _with_quotes(simple)))))
    followed_up = [(s, c) for s, c in _unreflected_change_talk(said)]
    if followed_up:
        candidates.append((0.75 * len(followed_up), GrowthArea(
            "Reflecting change talk", "when the parent talks about change, reflecting it back "
            "strengthens it; moving on lets it fade.",
            tuple(Rewrite(Quote(_clip(s.u.text), s.turn), f"a reflection of what the parent said, "
                          f"“{reflect(c.u.text)}”") for s, c in followed_up[:2]))))
    questions = [s for s in practitioner if s.u.code == "Q"]
    if len(candidates) < 2 and questions:
        goal = change_goals.strip().rstrip(".") or "this change"
        goal = goal[0].lower() + goal[1:]
        candidates.append((0.1, GrowthArea(
            "Evoking change talk", "asking about the parent's own reasons, hopes and ability to "
            "change draws out change talk.",
            tuple(Rewrite(q, f"“What would be the best thing about {goal}, for you and the children?”")
                  for _, q in _with_quotes(questions, 1)))))
    candidates.sort(key=lambda c: -c[0])
    return [g for _, g in candidates[:3]]


def _unreflected_change_talk(said: list[_Said]) -> list[tuple[_Said, _Said]]:
    """(what the practitioner said next, the client's change talk) where no reflection came."""
    out = []
    for i, s in enumerate(said):
        if s.role != "client" or s.u.code != "CHANGE":
            continue
        nxt = [p for p in said[i + 1:] if p.role == "practitioner"]
        if not nxt:
            continue
        turn = [p for p in nxt if p.turn == nxt[0].turn]
        if not any(p.u.code in ("SR", "CR") for p in turn) and not any(o[0].turn == turn[0].turn for o in out):
            out.append((turn[0], s))
    return out


def _with_quotes(items: list[_Said], n: int = 2) -> list[tuple[_Said, Quote]]:
    chosen = _best(items, n)
    out = []
    for q in chosen:
        s = next(s for s in items if s.turn == q.turn and _clip(s.u.text) == q.text)
        out.append((s, q))
    return out


def _information_without_permission(said: list[_Said]) -> list[_Said]:
    """Giving information with no permission asked in this or the previous practitioner turn."""
    out, asked_turns = [], set()
    for s in said:
        if s.role == "practitioner" and s.u.code in ("SEEK", "PERSUADE_WITH_PERMISSION"):
            asked_turns.add(s.turn)
        if s.role == "practitioner" and s.u.code == "GI":
            if not ({s.turn, s.turn - 1, s.turn - 2} & asked_turns):
                out.append(s)
    return out


def _missed_change_talk(session: CodedSession, limit: int = 3) -> tuple[list[MissedChangeTalk], int]:
    turns = [(i, ct) for i, ct in enumerate(session.turns) if ct.turn.coded]
    missed, total = [], 0
    for k, (i, ct) in enumerate(turns):
        if ct.turn.role != "client":
            continue
        change = [u for u in ct.utterances if u.code == "CHANGE"]
        if not change:
            continue
        total += 1
        nxt = next((c for _, c in turns[k + 1:] if c.turn.role == "practitioner" and c.utterances), None)
        if nxt and any(u.code in ("SR", "CR") for u in nxt.utterances):
            continue
        best = max(change, key=lambda u: (u.confidence, len(u.text)))
        next_said = _clip(" ".join(u.text for u in nxt.utterances)) if nxt else ""
        missed.append(MissedChangeTalk(Quote(_clip(best.text), i), best.subtype, next_said,
                                       f"“{reflect(best.text)}”"))
    return missed[:limit], total


def _questions(growth: list[GrowthArea], missed: list[MissedChangeTalk], change_goals: str,
               strengths: list[Strength]) -> list[str]:
    qs = []
    if missed:
        qs.append(f"When the parent said “{missed[0].client.text.rstrip('.')}”, what did you notice, and what "
                  "might have happened if you had stayed with it?")
    for g in growth:
        if g.title.startswith(("Confronting", "Persuading")) and g.rewrites:
            qs.append(f"What was going on for you when you said “{g.rewrites[0].original.text.rstrip('.')}”? "
                      "What were you worried might happen?")
            break
    goal = change_goals.strip().rstrip(".")
    if goal:
        qs.append(f"How did the conversation keep to the change it was about ({_clip(goal)}), "
                  "and where did it drift?")
    qs.append("Where were you clear about the concerns while staying alongside the parent, and "
              "where was the child's experience in view?")
    if strengths and strengths[0].quotes:
        qs.append(f"What made “{strengths[0].quotes[0].text.rstrip('.')}” work, and how could you do more of it?")
    return qs[:3]


# Rewrites ----------------------------------------------------------------------------------

_SWAP = {"i": "you", "i'm": "you're", "i’m": "you're", "im": "you're", "i've": "you've",
         "i’ve": "you've", "i'd": "you'd", "i’d": "you'd", "i'll": "you'll", "i’ll": "you'll",
         "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
         "we": "you", "we're": "you're", "we've": "you've", "our": "your", "us": "you",
         "ours": "yours", "ourselves": "yourselves"}
_LEAD = re.compile(r"^(?:(?:yeah|yes|no|well|honestly|okay|ok|so|and|but|um|uh|erm|look|I mean|"
                   r"to be honest|I suppose|I guess)\b[?,.!]*\s*)+", re.I)


def reflect(client_words: str) -> str:
    """A simple reflection of the client's words: first person turned to second."""
    text = _LEAD.sub("", " ".join(client_words.split())).strip()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    if not sentences:
        return "Tell me more about that."
    text = max(sentences[-2:], key=len).rstrip(".!?… ")
    words = re.findall(r"[\w'’]+|[^\w\s]", text)
    out, prev = [], ""
    for w in words:
        low = w.lower()
        if low == "was" and prev in ("i", "we"):
            r = "were"
        else:
            r = _SWAP.get(low, w)
        out.append(r)
        prev = low
    sentence = re.sub(r"\s+([,;:!?)])", r"\1", " ".join(out))
    if sentence.lower().startswith("you"):
        return sentence[0].upper() + sentence[1:] + "."
    first = out[0].lower()
    if first in _COMMON_STARTS:
        sentence = sentence[0].lower() + sentence[1:]
    return f"It sounds like {sentence}."


_COMMON_STARTS = {"the", "it", "it's", "that", "that's", "this", "there", "there's", "he", "she",
                  "they", "he's", "she's", "they're", "everyone", "everybody", "nobody", "no",
                  "things", "a", "an", "some", "if", "when", "just", "not", "maybe", "being",
                  "getting", "all", "his", "her", "their", "school"}


_CLOSED = re.compile(
    r"^(?:(?:so|and|okay|ok|well|right|now|but)[,\s]+)*"
    r"(do|does|did|have|has|had|are|is|was|were|can|could|will|would|should|shall|don't|didn't|"
    r"haven't|isn't|aren't|won't)\s+(you|he|she|they|it|we|things|that|this|there)\b\s*(.*?)[?.!]*$",
    re.I)
_NP = re.compile(r"\b(?:about|with|to|at|for|on|from|in)?\s*((?:the|a|an|your|his|her|their|this|"
                 r"that|these|those|any|some)\s+[\w'’ -]+)$", re.I)


def open_question(closed: str) -> str:
    """An open question in place of a closed one, reusing its topic where one can be found."""
    text = " ".join(closed.split())
    m = _CLOSED.match(text)
    if not m:
        return "What's your sense of how things are going with that?"
    subject, rest = m.group(2).lower(), m.group(3)
    wants = _WANT.match(rest)
    if subject == "you" and wants:
        return f"What would it mean for you to {wants.group(1).rstrip(' ?.')}?"
    np = _NP.search(rest) or _PP.search(rest)
    if np:
        return f"What are your thoughts about {np.group(1).strip()}?"
    if subject in ("he", "she", "they"):
        return f"What have you noticed about how {subject}'s been lately?" if subject != "they" \
            else "What have you noticed about how they've been lately?"
    if rest:
        return f"How do you feel about {_gerund_free(rest)}?"
    return "What's your sense of how things are going with that?"


_WANT = re.compile(r"^(?:really\s+)?(?:want|need|like|plan|intend|hope|mean)\s+to\s+(.+)$", re.I)
_PP = re.compile(r"\b(?:about|with|at|for|on|from|into)\s+((?:[\w'’-]+\s*){1,6})$", re.I)


def _gerund_free(rest: str) -> str:
    """Keep a topic phrase short and end it cleanly."""
    words = rest.split()
    return " ".join(words[:8]).rstrip(",;")


_ADVICE = re.compile(r"^(?:(?:so|and|well|look|honestly|really)[,\s]+)*you\s+(?:really\s+|just\s+)?"
                     r"(?:need to|should|have to|must|ought to|'ve got to|’ve got to|have got to|"
                     r"'d better|’d better|had better|can't keep|cannot keep)\s+(.+?)[.!]*$", re.I)
_WHY_NOT = re.compile(r"^(?:why don't you|why not|how about you|you could always)\s+(.+?)[?.!]*$", re.I)
_BEST = re.compile(r"^the (?:best|only) (?:thing|way) (?:you can do|to do|for you)? ?is (?:to )?(.+?)[.!]*$",
                   re.I)


def autonomy_rewrite(persuading: str) -> str:
    """Persuasion turned into a choice the parent makes."""
    text = " ".join(persuading.split())
    for rx in (_ADVICE, _WHY_NOT, _BEST):
        m = rx.match(text)
        if m:
            action = m.group(1).rstrip(" ?.!")
            return (f"It's your decision, and you know your family best. Some parents in your "
                    f"position choose to {action}. What do you think would work for you?")
    return f"It's up to you. {text.rstrip()} How does that sit with you?"


def permission_rewrite(information: str) -> str:
    """Elicit-provide-elicit around a piece of information."""
    text = " ".join(information.split())
    return (f"ask first, “Would it be all right if I told you what I'm noticing?”, then "
            f"“{_clip(text)}”, then ask “What do you make of that?”")


def deepen(simple: str) -> str:
    """A simple reflection continued with the meaning underneath."""
    text = " ".join(simple.split()).rstrip(".!? ")
    return f"{text}, and that really matters to you."
