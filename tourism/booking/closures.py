"""Closing days over sessions that have guests: the closure saved, those sessions cancelled.

The schedule console refuses a closure (Tết, a kiln firing, a storm) of one experience or of
a whole village over sessions with guests and lists them (tourism.scheduling.editing). The
owner may then decide, on that same page, to close the days anyway and cancel those
sessions: each one exactly as the session's own "Cancel this session" does
(`bulk.cancel_session`: every booking refunded in full through its payments' providers,
every guest e-mailed in their own language, one savepoint per booking, safe to run again),
with one reason for all.

What is cancelled is what the owner saw: the choice carries the preview's fingerprint, which
names each listed session and its seats taken, and the closure is saved by the same
`editing.run_change` as any change, which locks the sessions it closes until the commit.
A guest who booked after the list was shown changes the fingerprint: nothing is saved nor
cancelled, and the new list is shown. A guest booking while this runs waits for the lock,
then finds the session closed (and cancelled).
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from tourism.booking import bulk
from tourism.forms import InvalidInput, Problems, raw
from tourism.i18n import _
from tourism.scheduling import editing
from tourism.scheduling.models import ExperienceSession, SessionStatus

CHOSEN = "yes"  # the value of the ticked box
# The report page names its sessions in its address: a closure of a busy month at most.
MAX_REPORTED = 200


def read_choice(form: Mapping, locale: str) -> bulk.Reason:
    """The owner's choice: the box `cancel_sessions` ticked, and why (`cancel_reason`,
    `cancel_note`, read as the session's cancel form reads them: `bulk.read_reason`; named
    apart from the closure's own `reason`, which only the staff see). Raises InvalidInput."""
    problems = Problems()  # in the form's order: the reason, the note, the box
    reason = None
    try:
        reason = bulk.read_reason({"reason": raw(form, "cancel_reason"), "note": raw(form, "cancel_note")}, locale)
    except InvalidInput as error:
        for name, message in error.errors.items():
            problems.add(f"cancel_{name}", message)
    if raw(form, "cancel_sessions") != CHOSEN:
        problems.add("cancel_sessions", _("Tick the box to cancel these sessions. Nothing was changed."))
    problems.raise_any()
    return reason


@dataclass
class CancelOffer:
    """What cancelling the sessions in a closure's way would do (`bulk.CancelPreview`, summed)."""

    sessions: int = 0
    bookings: int = 0
    guests: int = 0
    holds: int = 0
    refund: int = 0
    by_provider: int = 0
    by_hand: int = 0
    no_email: int = 0  # guests with no e-mail address (booked by hand): the staff phone them
    currency: str = "VND"


def cancel_offer(dbsession, preview: editing.Preview, *, now: datetime, providers: dict) -> CancelOffer | None:
    """What the choice would cancel and give back, or None when it cannot be offered (a
    session in the way is not closed by the change, or has started: `editing.cancellable`)."""
    if not editing.cancellable(preview, now=now):
        return None
    offer = CancelOffer(sessions=len(preview.blockers))
    for blocker in preview.blockers:
        one = bulk.cancel_preview(dbsession, dbsession.get(ExperienceSession, blocker.session_id), now=now,
                                  providers=providers)
        offer.bookings += one.bookings
        offer.guests += one.guests
        offer.holds += one.holds
        offer.refund += one.refund
        offer.by_provider += one.by_provider
        offer.by_hand += one.by_hand
        offer.no_email += one.no_email
        offer.currency = one.currency
    return offer


@dataclass
class ClosedAndCancelled:
    preview: editing.Preview  # what the closure did; its `blockers` are the sessions cancelled
    runs: list[tuple[ExperienceSession, bulk.CancelRun]] = field(default_factory=list)


def close_and_cancel(dbsession, target: editing.Target, closure: editing.ClosureInput, reason: bulk.Reason, *,
                     expected: str, today: date, horizon_days: int, now: datetime, registry,
                     providers: dict) -> ClosedAndCancelled:
    """Save `closure` of `target` (an experience, or a whole village) and cancel each session
    with guests on its days, as previewed.

    The closure goes through `editing.run_change` (saved, with the target's sessions in the
    window locked FOR UPDATE until the commit), told that the sessions it closes over
    guests will be cancelled here; then each is cancelled by `bulk.cancel_session` under that
    same lock. A booking whose cancellation fails stays booked on its (cancelled) session,
    whose page offers "Try again". Raises, having changed nothing: editing.PreviewChanged
    when the preview is no longer `expected` (a guest booked meanwhile: its `preview` is the
    new list), editing.Blocked when a session in the way cannot be cancelled this way.
    """
    preview = editing.run_change(dbsession, target, editing.add_closure(target, closure), today=today,
                                 horizon_days=horizon_days, save=True, expected=expected, now=now,
                                 cancel_closed=True)
    done = ClosedAndCancelled(preview)
    for blocker in preview.blockers:
        session = dbsession.get(ExperienceSession, blocker.session_id)
        done.runs.append((session, bulk.cancel_session(dbsession, session, reason, now=now, registry=registry,
                                                       providers=providers)))
    return done


def cancelled_sessions(dbsession, target: editing.Target, ids: list[int]) -> list[ExperienceSession]:
    """The target's cancelled sessions among `ids` (the report's address), by start time."""
    experience_ids = [e.id for e in editing.experiences_of(dbsession, target)]
    return list(dbsession.scalars(select(ExperienceSession).where(
        ExperienceSession.experience_id.in_(experience_ids), ExperienceSession.id.in_(ids[:MAX_REPORTED]),
        ExperienceSession.status == SessionStatus.CANCELLED).order_by(ExperienceSession.starts_at)))
