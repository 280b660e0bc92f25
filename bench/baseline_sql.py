"""The baseline's SQL: the very statements NextStep's Peewee queries compile to on SQLite,
character for character, with the same parameters.

They were copied from Peewee's query log, and bench/parity.py checks on every run (and
tests/test_bench_parity.py in `make test`) that both servers send the same statements, in
the same order, for each benchmark request. So the baseline does the same database work
and whatever NextStep spends beyond it is Python.
"""


def columns(alias, names):
    return ", ".join(f'"{alias}"."{name}"' for name in names)


KEY_COLUMNS = (columns("t1", ("id", "team_id", "created_by_id", "revoked_at", "last_used_at"))
               + ", " + columns("t2", ("id", "email", "is_active", "role"))
               + ", " + columns("t3", ("id", "name", "subdomain", "timezone",
                                       "subscription_status"))
               + ", " + columns("t1", ("prefix", "scope")))
KEY = (f'SELECT {KEY_COLUMNS} FROM "api_key" AS "t1" '
       'INNER JOIN "member" AS "t2" ON ("t1"."created_by_id" = "t2"."id") '
       'INNER JOIN "team" AS "t3" ON ("t1"."team_id" = "t3"."id") '
       'WHERE ("t1"."digest" = ?) LIMIT ?')

TEMPLATE_FIELDS = ("id", "team_id", "title", "description", "cover_image", "icon",
                   "icon_type", "visibility", "is_published", "version", "created_at",
                   "updated_at", "has_unpublished_changes", "archived_at")
TEMPLATE = (f'SELECT {columns("t1", TEMPLATE_FIELDS)} FROM "template" AS "t1" '
            'WHERE (("t1"."id" = ?) AND ("t1"."team_id" = ?)) LIMIT ? OFFSET ?')
SNAPSHOT = ('SELECT "t1"."snapshot" FROM "template_version" AS "t1" '
            'WHERE (("t1"."template_id" = ?) AND ("t1"."version" = ?)) LIMIT ?')

RUN_FIELDS = ("id", "team_id", "template_id", "template_version", "title", "status",
              "started_by", "timezone", "due_date", "is_shared", "sections", "created_at",
              "updated_at", "completed_at", "revision")
RUN_SELECT = f'SELECT {columns("t1", RUN_FIELDS)} FROM "run" AS "t1" '
RUN = RUN_SELECT + 'WHERE (("t1"."id" = ?) AND ("t1"."team_id" = ?)) LIMIT ? OFFSET ?'
RUNS_PAGE = (RUN_SELECT + 'WHERE ("t1"."team_id" = ?) '
             'ORDER BY "t1"."created_at" DESC, "t1"."id" DESC LIMIT ?')
INSERT_RUN = ('INSERT INTO "run" (' + ", ".join(f'"{f}"' for f in RUN_FIELDS) + ") VALUES ("
              + ", ".join("json(?)" if f == "sections" else "?" for f in RUN_FIELDS) + ")")

TASK_FIELDS = ("id", "run_id", "template_task_id", "title", "description", "position",
               "section_id", "type", "is_essential", "webhook_enabled", "assignee",
               "due_date", "due_rule", "depends_on", "completed", "completed_at",
               "completed_by", "skipped", "approval", "custom_elements", "created_at",
               "updated_at")
TASK_JSON_FIELDS = ("due_rule", "depends_on", "approval", "custom_elements")
TASK_SELECT = f'SELECT {columns("t1", TASK_FIELDS)} FROM "run_task" AS "t1" '
RUN_TASKS_PAGE = (TASK_SELECT + 'INNER JOIN "run" AS "t2" ON ("t1"."run_id" = "t2"."id") '
                  'WHERE (("t1"."run_id" = ?) AND ("t2"."team_id" = ?)) '
                  'ORDER BY "t1"."position", "t1"."id" LIMIT ?')
RUN_TASK_WITH_RUN = (f'SELECT {columns("t1", TASK_FIELDS)}, {columns("t2", RUN_FIELDS)} '
                     'FROM "run_task" AS "t1" '
                     'INNER JOIN "run" AS "t2" ON ("t1"."run_id" = "t2"."id") '
                     'WHERE ((("t1"."id" = ?) AND ("t1"."run_id" = ?)) AND ("t2"."team_id" = ?)) '
                     'LIMIT ?')
NEXT_REVISION = ('UPDATE "run" SET "updated_at" = ?, "revision" = ("run"."revision" + ?) '
                 'WHERE ((("run"."id" = ?) AND ("run"."revision" = ?)) AND ("run"."status" = ?))')
TASK_ROW = "(" + ", ".join("json(?)" if f in TASK_JSON_FIELDS else "?"
                           for f in TASK_FIELDS) + ")"
INSERT_TASKS = ('INSERT INTO "run_task" (' + ", ".join(f'"{f}"' for f in TASK_FIELDS)
                + ") VALUES ")  # + ", ".join([TASK_ROW] * n)
WEBHOOKS_TO_NOTIFY = ('SELECT "t1"."id", "t1"."events", "t1"."template_id" FROM "webhook" AS "t1" '
                      'WHERE (("t1"."team_id" = ?) AND ("t1"."enabled" = ?))')
INSERT_EVENT = ('INSERT INTO "event" ("id", "team_id", "event", "payload", "created_at") '
                'VALUES (?, ?, ?, json(?), ?)')
UPDATE_TASK_ELEMENTS = ('UPDATE "run_task" SET "custom_elements" = json(?), "updated_at" = ? '
                        'WHERE ("run_task"."id" = ?)')

TEMPLATE_TASK_FIELDS = ("id", "template_id", "section_id", "title", "description",
                        "position", "type", "is_essential", "webhook_enabled", "assignee_id",
                        "due_date", "depends_on", "created_at", "updated_at")
TEMPLATE_TASKS_PAGE = (f'SELECT {columns("t1", TEMPLATE_TASK_FIELDS)} '
                       'FROM "template_task" AS "t1" WHERE ("t1"."template_id" = ?) '
                       'ORDER BY "t1"."position", "t1"."id" LIMIT ?')
ELEMENTS_OF = ('SELECT "t1"."id", "t1"."task_id", "t1"."type", "t1"."label", "t1"."required", '
               '"t1"."options", "t1"."position" FROM "custom_element" AS "t1" '
               'WHERE ("t1"."task_id" IN ({marks})) ORDER BY "t1"."task_id", "t1"."position"')
