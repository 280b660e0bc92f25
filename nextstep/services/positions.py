"""Dense positions (0..n-1, each once) of a template's sections or tasks.

Every function runs inside the caller's write transaction, after the template row was
locked (services/authoring.lock_template): two admins inserting at the same place queue
on that lock, so each shift sees the other's finished work and no position is taken twice.
"""
from ..errors import validation_error


def count(model, template_id):
    return model.select().where(model.template == template_id).count()


def check_order(order, highest, what):
    """422 unless 0 <= order <= highest (the schema already refused negatives)."""
    if order > highest:
        if highest < 0:
            message = f"Must be 0: the template has no other {what}."
        else:
            message = f"Must be at most {highest}, the last position."
        raise validation_error("The request body is not valid", {"order": [message]})


def make_room(model, template_id, order, what):
    """The position a new item takes (`order`, or the end when None), the ones from
    there on moved down by one."""
    size = count(model, template_id)
    if order is None:
        return size
    check_order(order, size, what)
    (model.update(position=model.position + 1)
     .where((model.template == template_id) & (model.position >= order)).execute())
    return order


def move(model, template_id, item_id, current, order, what):
    """Put item `item_id` (now at `current`) at `order`, the ones between shifted."""
    check_order(order, count(model, template_id) - 1, what)
    if order == current:
        return
    scope = model.template == template_id
    if order > current:
        (model.update(position=model.position - 1)
         .where(scope & (model.position > current) & (model.position <= order)).execute())
    else:
        (model.update(position=model.position + 1)
         .where(scope & (model.position >= order) & (model.position < current)).execute())
    model.update(position=order).where(model.id == item_id).execute()


def close_gap(model, template_id, position):
    """After the item at `position` was deleted, the ones after it move up by one."""
    (model.update(position=model.position - 1)
     .where((model.template == template_id) & (model.position > position)).execute())
