#include "core/planspec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const notify_modes[] = { "digest", "immediate", "escalations-only", "none",
	NULL };
static const char *const team_roles[] = { "kam", "sponsor", "member", NULL };
static const char *const decision_roles[] = { "decision-maker", "influencer", "buyer", "user",
	"gatekeeper", "champion", "opponent", "unknown", NULL };
static const char *const attitudes[] = { "supportive", "neutral", "critical", "unknown", NULL };
static const char *const horizons[] = { "mid", "long", NULL };
static const char *const focuses[] = { "product", "application", "region", "subsidiary", "other",
	NULL };
static const char *const item_states[] = { "open", "done", "cancelled", NULL };
static const char *const plan_states[] = { "draft", "active", "archived", NULL };
static const char *const complaint_states[] = { "open", "in-progress", "closed", NULL };
static const char *const swot_kinds[] = { "strength", "weakness", "opportunity", "threat", NULL };

#define KEY                                                                                        \
	{                                                                                          \
		"key", F_KEY, FLD_REQUIRED, "key", NULL, NULL, NULL, NULL, NULL                    \
	}
#define LINE(n, c, fl)                                                                             \
	{                                                                                          \
		n, F_LINE, fl, c, NULL, NULL, NULL, NULL, NULL                                     \
	}
#define TEXT(n, c)                                                                                 \
	{                                                                                          \
		n, F_TEXT, 0, c, NULL, NULL, NULL, NULL, NULL                                      \
	}
#define TYPED(n, t, c, fl)                                                                         \
	{                                                                                          \
		n, t, fl, c, NULL, NULL, NULL, NULL, NULL                                          \
	}
#define ENUM(n, c, e, fl, d)                                                                       \
	{                                                                                          \
		n, F_ENUM, fl, c, e, NULL, NULL, d, NULL                                           \
	}
#define REF(n, c, t, fl)                                                                           \
	{                                                                                          \
		n, F_REF, fl, c, NULL, t, NULL, NULL, NULL                                         \
	}
#define KIDS(n, s)                                                                                 \
	{                                                                                          \
		n, F_CHILDREN, 0, NULL, NULL, NULL, &s, NULL, NULL                                 \
	}

static const struct field absence_fields[] = {
	TYPED("from", F_DATE, "from_date", FLD_REQUIRED),
	TYPED("until", F_DATE, "until_date", FLD_REQUIRED),
	REF("substitute", "substitute_id", "person", 0),
};
static const struct objspec spec_absence = { "absence", "absence", "person_id", "person",
	OBJ_REPLACE, NULL, absence_fields, N(absence_fields), 1 };

static const struct field person_fields[] = {
	KEY,
	LINE("name", "name", FLD_REQUIRED),
	TYPED("email", F_EMAIL, "email", 0),
	TYPED("language", F_LANG, "language", 0),
	TYPED("timezone", F_TZ, "timezone", 0),
	ENUM("notify", "notify", notify_modes, 0, NULL),
	LINE("function", "function", 0),
	KIDS("absences", spec_absence),
};
const struct objspec spec_person = { "person", "person", NULL, NULL, OBJ_KEYED, NULL, person_fields,
	N(person_fields), 0 };

static const struct field contact_fields[] = {
	KEY,
	LINE("name", "name", FLD_REQUIRED),
	LINE("function", "function", 0),
	TYPED("email", F_EMAIL, "email", 0),
	LINE("phone", "phone", 0),
	ENUM("decision_role", "decision_role", decision_roles, 0, NULL),
	ENUM("attitude", "attitude", attitudes, 0, NULL),
	TEXT("notes", "notes"),
};
static const struct objspec spec_contact = { "contact", "contact", "account_id", "account",
	OBJ_KEYED, NULL, contact_fields, N(contact_fields), 1 };

static const struct field need_fields[] = {
	KEY,
	{ "text", F_TEXT, FLD_REQUIRED, "text", NULL, NULL, NULL, NULL, NULL },
};
static const struct objspec spec_need = { "need", "need", "account_id", "account", OBJ_KEYED, NULL,
	need_fields, N(need_fields), 1 };

static const struct field competitor_fields[] = {
	KEY,
	LINE("name", "name", FLD_REQUIRED),
	TEXT("position", "market_position"),
	TEXT("strengths", "strengths"),
	TEXT("weaknesses", "weaknesses"),
};
static const struct objspec spec_competitor = { "competitor", "competitor", "account_id", "account",
	OBJ_KEYED, NULL, competitor_fields, N(competitor_fields), 1 };

static const struct field history_fields[] = {
	LINE("period", "period", FLD_REQUIRED),
	TYPED("revenue", F_NUMBER, "revenue", 0),
	TYPED("margin", F_NUMBER, "margin", 0),
	TYPED("currency", F_CURRENCY, "currency", FLD_REQUIRED),
};
static const struct objspec spec_history = { "history", "history", "account_id", "account",
	OBJ_NATURAL, "period", history_fields, N(history_fields), 1 };

static const struct field project_fields[] = {
	KEY,
	LINE("title", "title", FLD_REQUIRED),
	TYPED("start", F_DATE, "start_date", 0),
	TYPED("end", F_DATE, "end_date", 0),
	ENUM("state", "state", item_states, 0, "open"),
};
static const struct objspec spec_project = { "project", "project", "account_id", "account",
	OBJ_KEYED, NULL, project_fields, N(project_fields), 1 };

static const struct field complaint_fields[] = {
	KEY,
	TYPED("date", F_DATE, "date", FLD_REQUIRED),
	LINE("subject", "subject", FLD_REQUIRED),
	ENUM("state", "state", complaint_states, 0, "open"),
};
static const struct objspec spec_complaint = { "complaint", "complaint", "account_id", "account",
	OBJ_KEYED, NULL, complaint_fields, N(complaint_fields), 1 };

static const struct field swot_fields[] = {
	ENUM("kind", "kind", swot_kinds, FLD_REQUIRED, NULL),
	{ "text", F_TEXT, FLD_REQUIRED, "text", NULL, NULL, NULL, NULL, NULL },
};
static const struct objspec spec_swot = { "swot", "swot", "account_id", "account", OBJ_REPLACE,
	NULL, swot_fields, N(swot_fields), 1 };

static const struct field team_fields[] = {
	REF("person", "person_id", "person", FLD_REQUIRED),
	ENUM("role", "role", team_roles, FLD_REQUIRED, NULL),
	LINE("function", "function", 0),
};
static const struct objspec spec_team = { "team member", "team_member", "plan_id", "plan",
	OBJ_REPLACE, NULL, team_fields, N(team_fields), 1 };

static const struct field goal_fields[] = {
	KEY,
	ENUM("horizon", "horizon", horizons, FLD_REQUIRED, NULL),
	ENUM("focus", "focus", focuses, 0, NULL),
	LINE("focus_value", "focus_value", 0),
	{ "text", F_TEXT, FLD_REQUIRED, "text", NULL, NULL, NULL, NULL, NULL },
	LINE("target", "target", 0),
	TYPED("due", F_DATE, "due", 0),
};
static const struct objspec spec_goal = { "goal", "goal", "plan_id", "plan", OBJ_KEYED, NULL,
	goal_fields, N(goal_fields), 1 };

static const struct field milestone_fields[] = {
	KEY,
	LINE("title", "title", FLD_REQUIRED),
	REF("owner", "owner_id", "person", 0),
	TYPED("due", F_DATE, "due", FLD_REQUIRED),
	ENUM("state", "state", item_states, 0, "open"),
	REF("project", "project_id", "project", 0),
	TEXT("description", "description"),
	TYPED("done_on", F_DATE, "done_on", 0),
};
static const struct objspec spec_milestone = { "milestone", "milestone", "plan_id", "plan",
	OBJ_KEYED, NULL, milestone_fields, N(milestone_fields), 1 };

static const struct field activity_fields[] = {
	KEY,
	LINE("title", "title", FLD_REQUIRED),
	REF("owner", "owner_id", "person", 0),
	TYPED("due", F_DATE, "due", FLD_REQUIRED),
	ENUM("state", "state", item_states, 0, "open"),
	REF("milestone", "milestone_id", "milestone", 0),
	REF("project", "project_id", "project", 0),
	TEXT("description", "description"),
	TYPED("done_on", F_DATE, "done_on", 0),
};
static const struct objspec spec_activity = { "activity", "activity", "plan_id", "plan", OBJ_KEYED,
	NULL, activity_fields, N(activity_fields), 1 };

static const struct field plan_fields[] = {
	KEY,
	LINE("title", "title", FLD_REQUIRED),
	TYPED("language", F_LANG, "language", 0),
	TYPED("timezone", F_TZ, "timezone", 0),
	ENUM("state", "state", plan_states, 0, "active"),
	TYPED("last_review", F_DATE, "last_review", 0),
	TYPED("next_review", F_DATE, "next_review", 0),
	KIDS("team", spec_team),
	KIDS("goals", spec_goal),
	KIDS("milestones", spec_milestone),
	KIDS("activities", spec_activity),
};
static const struct objspec spec_plan = { "plan", "plan", "account_id", "account", OBJ_KEYED, NULL,
	plan_fields, N(plan_fields), 1 };

static const struct field account_fields[] = {
	KEY,
	LINE("name", "name", FLD_REQUIRED),
	LINE("industry", "industry", 0),
	TEXT("address", "address"),
	LINE("phone", "phone", 0),
	TYPED("email", F_EMAIL, "email", 0),
	LINE("website", "website", 0),
	LINE("rating", "rating", 0),
	LINE("potential", "potential", 0),
	TEXT("networks", "networks"),
	{ "market_volume", F_MONEY, 0, "market_volume", NULL, NULL, NULL, NULL, "market_currency" },
	TEXT("positioning", "positioning"),
	TEXT("strategic_direction", "strategic_direction"),
	TEXT("processes", "processes"),
	KIDS("contacts", spec_contact),
	KIDS("needs", spec_need),
	KIDS("competitors", spec_competitor),
	KIDS("history", spec_history),
	KIDS("projects", spec_project),
	KIDS("complaints", spec_complaint),
	KIDS("swot", spec_swot),
	KIDS("plans", spec_plan),
};
const struct objspec spec_account = { "account", "account", NULL, NULL, OBJ_KEYED, NULL,
	account_fields, N(account_fields), 0 };

const struct field *
planspec_field(const struct objspec *spec, const char *name)
{
	size_t i;

	for (i = 0; i < spec->nfields; i++)
		if (strcmp(spec->fields[i].name, name) == 0)
			return &spec->fields[i];
	return NULL;
}

void
planspec_path(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, sizeof(path_t), fmt, ap);
	va_end(ap);
}
