/* mmrepro guest library: the result store shared (MAP_SHARED) by every
 * process of a test, so what they record survives their crash.
 *
 * No locks: a timeout may SIGKILL a process in the middle of an update, and
 * a lock it held would hang every other writer and the final report. As in
 * LTP's tst_test.c, the counts are atomic increments; each message gets a
 * slot of its own by an atomic increment, is written, and is published by
 * an atomic store of its state. A slot whose writer died stays unpublished
 * and is left out. */
#include "tst_lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* A long run of sub-checks is still judged right when these overflow: the
 * verdict needs only the counts and the deciding messages, kept apart. */
#define MAX_RECORDS 512
#define MSG_LEN 512
#define FILE_LEN 48
#define MAX_VALUES 256
#define KEY_LEN 96
#define VALUE_LEN 256

enum { PASS_IDX, FAIL_IDX, BROK_IDX, CONF_IDX, NR_IDX };
enum { SLOT_FREE, SLOT_WRITING, SLOT_READY };

struct record {
	int state;
	int verdict;
	int line;
	long seq;
	char file[FILE_LEN];
	char msg[MSG_LEN];
};

/* Two buffers, so that replacing a value never shows half of it. */
struct value {
	int state;
	int current;
	char key[KEY_LEN];
	char val[2][VALUE_LEN];
};

struct store {
	int count[NR_IDX];
	int claimed;                 /* record slots handed out, may exceed MAX_RECORDS */
	int nvalues;                 /* value slots handed out */
	long pass_seq;
	struct record first[NR_IDX];     /* the first message of each kind */
	struct record last_pass[2];      /* the newest PASS, by seq */
	struct record records[MAX_RECORDS];
	struct value values[MAX_VALUES];
};

static struct store *shared;

void tst_store_init_(void)
{
	if (shared)
		return;
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmrepro: mmap of the result store");
		exit(TBROK);
	}
}

static int atomic_inc(int *v)
{
	return __atomic_fetch_add(v, 1, __ATOMIC_ACQ_REL);
}

static bool claim(int *state)
{
	int expect = SLOT_FREE;

	return __atomic_compare_exchange_n(state, &expect, SLOT_WRITING, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void publish(int *state)
{
	__atomic_store_n(state, SLOT_READY, __ATOMIC_RELEASE);
}

static bool ready(const int *state)
{
	return __atomic_load_n(state, __ATOMIC_ACQUIRE) == SLOT_READY;
}

static void fill(struct record *r, int verdict, const char *file, int line, const char *msg, long seq)
{
	r->verdict = verdict;
	r->line = line;
	r->seq = seq;
	snprintf(r->file, FILE_LEN, "%s", file);
	snprintf(r->msg, MSG_LEN, "%s", msg);
}

static int verdict_idx(int v)
{
	return v == TPASS ? PASS_IDX : v == TFAIL ? FAIL_IDX : v == TCONF ? CONF_IDX : BROK_IDX;
}

/* The newest PASS goes to the slot its sequence number picks; the reader
 * takes the published slot with the higher number. */
static void keep_last_pass(int verdict, const char *file, int line, const char *msg)
{
	long seq = __atomic_add_fetch(&shared->pass_seq, 1, __ATOMIC_ACQ_REL);
	struct record *r = &shared->last_pass[seq & 1];

	__atomic_store_n(&r->state, SLOT_WRITING, __ATOMIC_RELEASE);
	fill(r, verdict, file, line, msg, seq);
	publish(&r->state);
}

void tst_store_record_(int verdict, const char *file, int line, const char *msg)
{
	int idx = verdict_idx(verdict), slot;

	tst_store_init_();
	if (claim(&shared->first[idx].state)) {
		fill(&shared->first[idx], verdict, file, line, msg, 0);
		publish(&shared->first[idx].state);
	}
	if (idx == PASS_IDX)
		keep_last_pass(verdict, file, line, msg);
	slot = atomic_inc(&shared->claimed);
	if (slot < MAX_RECORDS) {
		fill(&shared->records[slot], verdict, file, line, msg, slot);
		publish(&shared->records[slot].state);
	}
	/* Counted last: a count always has its message behind it. */
	atomic_inc(&shared->count[idx]);
}

int tst_store_total_(void)
{
	int total = 0;

	for (int i = 0; i < NR_IDX; i++)
		total += __atomic_load_n(&shared->count[i], __ATOMIC_ACQUIRE);
	return total;
}

void tst_store_counts_(int counts[4])
{
	for (int i = 0; i < NR_IDX; i++)
		counts[i] = __atomic_load_n(&shared->count[i], __ATOMIC_ACQUIRE);
}

int tst_store_dropped_(void)
{
	int claimed = __atomic_load_n(&shared->claimed, __ATOMIC_ACQUIRE);

	return claimed > MAX_RECORDS ? claimed - MAX_RECORDS : 0;
}

/* "file.c:12: message", the way the console showed it. */
static const char *reason_of(const struct record *r)
{
	static char text[FILE_LEN + MSG_LEN + 16];

	if (!ready(&r->state))
		return "(its writer was killed mid-write)";
	snprintf(text, sizeof(text), "%s:%d: %s", r->file, r->line, r->msg);
	return text;
}

static const struct record *newest_pass(void)
{
	const struct record *a = &shared->last_pass[0], *b = &shared->last_pass[1];

	if (!ready(&a->state))
		return b;
	if (!ready(&b->state))
		return a;
	return a->seq > b->seq ? a : b;
}

/* "3 checks passed (1 CONF); last: file.c:12: message": a summary line
 * that says more than the last check alone. */
static const char *pass_summary(const struct record *last)
{
	static char text[FILE_LEN + MSG_LEN + 80];
	int passes = __atomic_load_n(&shared->count[PASS_IDX], __ATOMIC_ACQUIRE);
	int confs = __atomic_load_n(&shared->count[CONF_IDX], __ATOMIC_ACQUIRE);
	char conf[32] = "";

	if (confs)
		snprintf(conf, sizeof(conf), " (%d CONF)", confs);
	snprintf(text, sizeof(text), "%d check%s passed%s; last: %s", passes, passes == 1 ? "" : "s", conf,
		 reason_of(last));
	return text;
}

/* LTP's rules; the reason is the first message of the deciding kind, or a
 * count of the PASS checks with the last one. */
int tst_store_verdict_(const char **reason)
{
	static const int order[] = { FAIL_IDX, BROK_IDX };
	static const int verdicts[] = { TFAIL, TBROK };

	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (__atomic_load_n(&shared->count[order[i]], __ATOMIC_ACQUIRE)) {
			*reason = reason_of(&shared->first[order[i]]);
			return verdicts[i];
		}
	}
	if (__atomic_load_n(&shared->count[PASS_IDX], __ATOMIC_ACQUIRE)) {
		*reason = pass_summary(newest_pass());
		return TPASS;
	}
	if (__atomic_load_n(&shared->count[CONF_IDX], __ATOMIC_ACQUIRE)) {
		*reason = reason_of(&shared->first[CONF_IDX]);
		return TCONF;
	}
	*reason = "no result recorded";
	return TBROK;
}

static const char *verdict_word(int v)
{
	switch (v) {
	case TPASS: return "PASS";
	case TFAIL: return "FAIL";
	case TCONF: return "CONF";
	default: return "BROK";
	}
}

json_object *tst_store_results_json_(void)
{
	json_object *a = json_object_new_array();
	int n = __atomic_load_n(&shared->claimed, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n && i < MAX_RECORDS; i++) {
		const struct record *r = &shared->records[i];
		json_object *o;

		if (!ready(&r->state))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "verdict", json_object_new_string(verdict_word(r->verdict)));
		json_object_object_add(o, "message", json_object_new_string(r->msg));
		json_object_object_add(o, "file", json_object_new_string(r->file));
		json_object_object_add(o, "line", json_object_new_int(r->line));
		json_object_array_add(a, o);
	}
	return a;
}

static struct value *find_value(const char *key)
{
	int n = __atomic_load_n(&shared->nvalues, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n && i < MAX_VALUES; i++)
		if (ready(&shared->values[i].state) && !strncmp(shared->values[i].key, key, KEY_LEN - 1))
			return &shared->values[i];
	return NULL;
}

void tst_value_set_(const char *key, const char *val)
{
	struct value *v;
	int slot;

	tst_store_init_();
	v = find_value(key);
	if (v) {
		int next = !__atomic_load_n(&v->current, __ATOMIC_ACQUIRE);

		snprintf(v->val[next], VALUE_LEN, "%s", val);
		__atomic_store_n(&v->current, next, __ATOMIC_RELEASE);
		return;
	}
	slot = atomic_inc(&shared->nvalues);
	if (slot >= MAX_VALUES) {
		tst_console_("mmrepro: warning: more than %d values, %s dropped", MAX_VALUES, key);
		return;
	}
	v = &shared->values[slot];
	__atomic_store_n(&v->state, SLOT_WRITING, __ATOMIC_RELEASE);
	snprintf(v->key, KEY_LEN, "%s", key);
	snprintf(v->val[0], VALUE_LEN, "%s", val);
	publish(&v->state);
}

json_object *tst_store_values_json_(void)
{
	json_object *o = json_object_new_object();
	int n = __atomic_load_n(&shared->nvalues, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n && i < MAX_VALUES; i++) {
		const struct value *v = &shared->values[i];

		if (ready(&v->state))
			json_object_object_add(o, v->key, json_object_new_string(v->val[v->current]));
	}
	if (n > MAX_VALUES)
		json_object_object_add(o, "values_dropped", json_object_new_int(n - MAX_VALUES));
	return o;
}
