"""/webhooks: subscriptions, their delivery log, test events and redeliveries (§11).

Every view needs an `admin` key. Thin views over services/webhooks.py; answers that
carry the secret (create, rotate-secret) are the only ones that show it.
"""
from flask import current_app, g, request, url_for

from ..schemas.queries import DeliveryListArgs, WebhookListArgs
from ..schemas.webhooks import (
    DeliverySchema,
    DeliveryWithAttemptsSchema,
    WebhookInputSchema,
    WebhookSchema,
    WebhookWithSecretSchema,
)
from ..services import webhooks as service
from ..services.delivery import Rules
from .body import json_body
from .operations import operation
from .responses import listing, single
from .routing import ApiBlueprint
from .scopes import requires

webhooks = ApiBlueprint("webhooks", __name__)
list_args = WebhookListArgs()
delivery_list_args = DeliveryListArgs()
input_schema = WebhookInputSchema()
webhook_schema = WebhookSchema()
webhook_list_schema = WebhookSchema(many=True)
secret_schema = WebhookWithSecretSchema()
delivery_schema = DeliverySchema()
delivery_list_schema = DeliverySchema(many=True)
delivery_detail_schema = DeliveryWithAttemptsSchema()


def rules():
    config = current_app.config
    return Rules(allow_http=config["NEXTSTEP_WEBHOOK_ALLOW_HTTP"],
                 allow_private=config["NEXTSTEP_WEBHOOK_ALLOW_PRIVATE"])


@webhooks.post("/webhooks")
@operation("Create a webhook", tag="Webhooks", body=input_schema, answer=secret_schema,
           status=201, headers=("Location",), errors=("webhook_limit_reached",),
           description="The signing secret is shown in this answer only. At most 20 a "
           "team. Scope admin.")
@requires("admin")
def create_webhook():
    def answer(webhook):
        return single(secret_schema.dump(webhook), 201,
                      {"Location": url_for(".show_webhook", webhook_id=webhook.id)})
    return service.create_webhook(g.nextstep_team, input_schema.load(json_body()), rules(),
                                  answer)


@webhooks.get("/webhooks")
@operation("List webhooks", tag="Webhooks", query=list_args, answer=webhook_list_schema,
           many=True, description="Newest first. Scope admin.")
@requires("admin")
def list_webhooks():
    page = service.webhooks_page(g.nextstep_team, **list_args.load(request.args))
    return listing(webhook_list_schema.dump(page.items), page.pagination)


@webhooks.get("/webhooks/<webhook_id>")
@operation("Get a webhook", tag="Webhooks", answer=webhook_schema,
           description="Scope admin.")
@requires("admin")
def show_webhook(webhook_id):
    return single(webhook_schema.dump(service.get_webhook(g.nextstep_team, webhook_id)))


@webhooks.patch("/webhooks/<webhook_id>")
@operation("Change a webhook", tag="Webhooks", body=input_schema, answer=webhook_schema,
           description="Any field of the POST; `enabled: true` re-enables it and resets "
           "its failure count. Scope admin.")
@requires("admin")
def patch_webhook(webhook_id):
    changes = input_schema.load(json_body(), partial=True)
    return service.update_webhook(g.nextstep_team, webhook_id, changes, rules(),
                                  lambda webhook: single(webhook_schema.dump(webhook)))


@webhooks.delete("/webhooks/<webhook_id>")
@operation("Delete a webhook", tag="Webhooks", status=204, description="With its "
           "delivery log. Scope admin.")
@requires("admin")
def delete_webhook(webhook_id):
    service.delete_webhook(g.nextstep_team, webhook_id)
    return current_app.response_class(status=204)


@webhooks.post("/webhooks/<webhook_id>/rotate-secret")
@operation("Rotate the signing secret", tag="Webhooks", answer=secret_schema,
           description="The new secret signs at once; the old one also signs for 24 "
           "hours. Scope admin.")
@requires("admin")
def rotate_secret(webhook_id):
    return service.rotate_secret(g.nextstep_team, webhook_id,
                                 lambda webhook: single(secret_schema.dump(webhook)))


@webhooks.post("/webhooks/<webhook_id>/test")
@operation("Send a test event", tag="Webhooks", answer=delivery_schema, status=202,
           errors=("webhook_disabled",), description="A `test: true` event to this "
           "webhook alone, due at once. Scope admin.")
@requires("admin")
def send_test(webhook_id):
    return service.send_test(g.nextstep_team, webhook_id, _accepted)


@webhooks.get("/webhooks/<webhook_id>/deliveries")
@operation("List deliveries", tag="Webhooks", query=delivery_list_args,
           answer=delivery_list_schema, many=True, description="Newest first; the last "
           "50 of the team, 30 days at most. Scope admin.")
@requires("admin")
def list_deliveries(webhook_id):
    page = service.deliveries_page(g.nextstep_team, webhook_id,
                                   **delivery_list_args.load(request.args))
    return listing(delivery_list_schema.dump(page.items), page.pagination)


@webhooks.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
@operation("Get a delivery", tag="Webhooks", answer=delivery_detail_schema,
           description="With each attempt. Scope admin.")
@requires("admin")
def show_delivery(webhook_id, delivery_id):
    webhook = service.get_webhook(g.nextstep_team, webhook_id)
    return single(delivery_detail_schema.dump(service.delivery_with_attempts(webhook,
                                                                            delivery_id)))


@webhooks.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@operation("Redeliver", tag="Webhooks", answer=delivery_schema, status=202,
           errors=("webhook_disabled",), description="The same event (same id) again, "
           "due at once. Scope admin.")
@requires("admin")
def redeliver(webhook_id, delivery_id):
    return service.redeliver(g.nextstep_team, webhook_id, delivery_id, _accepted)


def _accepted(delivery):
    return single(delivery_schema.dump(delivery), 202)



