"""The operator's refunds page: money to pay back by hand, and refunds the provider refused."""
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from tourism.accounts.permissions import CONSOLE, PAYMENTS, OperatorResource, visible_operator_id
from tourism.accounts.views import no_store
from tourism.booking.services import format_reference
from tourism.catalog.services import experience_text
from tourism.exceptions import DomainError
from tourism.i18n import _
from tourism.payments.models import Refund, RefundStatus
from tourism.payments.refunds import mark_refund_paid, refunds_to_handle, retry_failed_refund
from tourism.payments.services import providers


def refund_resource(request) -> OperatorResource:
    """Route factory: the refund in the URL, owned by its booking's village's operator."""
    refund_id = request.matchdict["refund_id"]
    refund = request.dbsession.get(Refund, int(refund_id)) if refund_id.isdigit() and len(refund_id) < 10 else None
    if refund is None:
        raise HTTPNotFound()
    return OperatorResource(refund.payment.booking.experience.village.operator_id, refund)


def _row(request, refund: Refund) -> dict:
    booking = refund.payment.booking
    return {"refund": refund, "booking": booking, "reference": format_reference(booking.reference),
            "title": experience_text(booking.experience, request.locale_name).value.title,
            "amount": request.fmt.money(refund.amount, refund.payment.currency)}


def _back(request, message):
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_path("payments.refunds"))


@view_config(route_name="payments.refunds", permission=CONSOLE, renderer="tourism:payments/templates/console/refunds.jinja2")
def refunds_page(request):
    no_store(request)
    by_hand, failed = refunds_to_handle(request.dbsession, visible_operator_id(request.identity))
    return {"by_hand": [_row(request, r) for r in by_hand], "failed": [_row(request, r) for r in failed],
            "messages": request.session.pop_flash()}


@view_config(route_name="payments.refund.paid", request_method="POST", permission=PAYMENTS)
def refund_paid(request):
    refund = request.context.obj
    if request.POST.get("confirm") != "yes":
        return _back(request, _("Tick the box to confirm you paid the money back, then press the button again."))
    if refund.status == RefundStatus.SUCCEEDED:
        return _back(request, _("This refund was already marked as paid back."))
    try:
        mark_refund_paid(request.dbsession, refund, now=request.now)
    except DomainError as error:
        return _back(request, error.message)
    return _back(request, _("Marked as paid back: ${amount} to ${name}.",
                            mapping={"amount": request.fmt.money(refund.amount, refund.payment.currency),
                                     "name": refund.payment.booking.contact_name}))


@view_config(route_name="payments.refund.retry", request_method="POST", permission=PAYMENTS)
def refund_retry(request):
    try:
        new = retry_failed_refund(request.dbsession, request.context.obj, now=request.now,
                                  providers=providers(request.registry))
    except DomainError as error:
        return _back(request, error.message)
    if new.status == RefundStatus.FAILED:
        return _back(request, _("The refund failed again. Refund it from the card provider's dashboard, "
                                "or pay the guest back another way."))
    return _back(request, _("The refund was sent again."))


def includeme(config):
    config.add_route("payments.refunds", "/console/refunds", factory="tourism.accounts.permissions.ConsoleRoot")
    config.add_route("payments.refund.paid", "/console/refunds/{refund_id}/paid", factory=refund_resource)
    config.add_route("payments.refund.retry", "/console/refunds/{refund_id}/retry", factory=refund_resource)
    config.add_console_link("payments.refunds", _("Refunds to pay back"), order=40)
    config.scan(__name__)
