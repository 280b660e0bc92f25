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
@requires("admin")
def create_webhook():
    def answer(webhook):
        return single(secret_schema.dump(webhook), 201,
                      {"Location": url_for(".show_webhook", webhook_id=webhook.id)})
    return service.create_webhook(g.nextstep_team, input_schema.load(json_body()), rules(),
                                  answer)


@webhooks.get("/webhooks")
@requires("admin")
def list_webhooks():
    page = service.webhooks_page(g.nextstep_team, **list_args.load(request.args))
    return listing(webhook_list_schema.dump(page.items), page.pagination)


@webhooks.get("/webhooks/<webhook_id>")
@requires("admin")
def show_webhook(webhook_id):
    return single(webhook_schema.dump(service.get_webhook(g.nextstep_team, webhook_id)))


@webhooks.patch("/webhooks/<webhook_id>")
@requires("admin")
def patch_webhook(webhook_id):
    changes = input_schema.load(json_body(), partial=True)
    return service.update_webhook(g.nextstep_team, webhook_id, changes, rules(),
                                  lambda webhook: single(webhook_schema.dump(webhook)))


@webhooks.delete("/webhooks/<webhook_id>")
@requires("admin")
def delete_webhook(webhook_id):
    service.delete_webhook(g.nextstep_team, webhook_id)
    return current_app.response_class(status=204)


@webhooks.post("/webhooks/<webhook_id>/rotate-secret")
@requires("admin")
def rotate_secret(webhook_id):
    return service.rotate_secret(g.nextstep_team, webhook_id,
                                 lambda webhook: single(secret_schema.dump(webhook)))


@webhooks.post("/webhooks/<webhook_id>/test")
@requires("admin")
def send_test(webhook_id):
    return service.send_test(g.nextstep_team, webhook_id, _accepted)


@webhooks.get("/webhooks/<webhook_id>/deliveries")
@requires("admin")
def list_deliveries(webhook_id):
    page = service.deliveries_page(g.nextstep_team, webhook_id,
                                   **delivery_list_args.load(request.args))
    return listing(delivery_list_schema.dump(page.items), page.pagination)


@webhooks.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
@requires("admin")
def show_delivery(webhook_id, delivery_id):
    webhook = service.get_webhook(g.nextstep_team, webhook_id)
    return single(delivery_detail_schema.dump(service.delivery_with_attempts(webhook,
                                                                            delivery_id)))


@webhooks.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@requires("admin")
def redeliver(webhook_id, delivery_id):
    return service.redeliver(g.nextstep_team, webhook_id, delivery_id, _accepted)


def _accepted(delivery):
    return single(delivery_schema.dump(delivery), 202)



