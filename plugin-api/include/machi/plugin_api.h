/*
 * Machi plugin ABI 1.3 — the only contract between the Machi runtime and a mini-app plugin.
 *
 * Conventions, in five lines:
 *   1. Names: `machi_plugin_negotiate` is the one symbol a plugin exports; `on_*` are hooks the
 *      plugin implements (machi_plugin_hooks); every other function is a host callback
 *      (machi_host_api) the runtime implements.
 *   2. Every host callback returns a machi_status; results go in out-parameters. Values are fixed.
 *   3. Strings and buffers cross as machi_str {ptr, len} views, UTF-8, not NUL-terminated.
 *      OWNERSHIP: a view belongs to the side that made it and is valid only as each
 *      declaration says (usually: until the hook returns). Host callbacks that take data copy it.
 *   4. Nothing is freed across the boundary; no C++ exception may leave a plugin.
 *   5. Tables and argument structs start with `struct_size` and are only ever appended to.
 *
 * Compatibility rules are in plugin-api/COMPATIBILITY.md. This header is C99 and must stay so.
 */
#ifndef MACHI_PLUGIN_API_H
#define MACHI_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MACHI_ABI_MAJOR 1
#define MACHI_ABI_MINOR 3

/* The one symbol a plugin exports. */
#define MACHI_NEGOTIATE_SYMBOL "machi_plugin_negotiate"

/* ---------------------------------------------------------------------------------------------
 * Status codes. Values never change; new codes may be added in a minor version, so treat any
 * unknown negative value as a failure.
 * ------------------------------------------------------------------------------------------- */
typedef int32_t machi_status;

#define MACHI_OK 0                     /* success */
#define MACHI_PENDING 1                /* on_request: the answer comes later via complete() */
#define MACHI_ROW 2                    /* sql_step: a row is ready */
#define MACHI_DONE 3                   /* sql_step: the statement has finished */
#define MACHI_ERR_INVALID_ARGUMENT (-1) /* a NULL handle, bad index, malformed value */
#define MACHI_ERR_NOT_FOUND (-2)       /* absent claim, header, column, job */
#define MACHI_ERR_UNIMPLEMENTED (-3)   /* this host (or hook) does not offer the function */
#define MACHI_ERR_EXPIRED (-4)         /* pending request past its deadline or its client gone */
#define MACHI_ERR_DENIED (-5)          /* refused by policy (storage authorizer, grants) */
#define MACHI_ERR_TOO_LARGE (-6)       /* a size limit was exceeded */
#define MACHI_ERR_STORAGE (-7)         /* SQL error: syntax, I/O; see the error text */
#define MACHI_ERR_BUSY (-8)            /* the database stayed locked past the busy timeout */
#define MACHI_ERR_WRONG_THREAD (-9)    /* handle used on a thread that does not own it */
#define MACHI_ERR_INVALID_STATE (-10)  /* e.g. commit without begin, respond twice */
#define MACHI_ERR_CONSTRAINT (-11)     /* SQL constraint violated (UNIQUE, NOT NULL, CHECK…) */
#define MACHI_ERR_INTERNAL (-12)       /* the plugin failed; the runtime answers 500 and marks the
                                          instance unhealthy */
#define MACHI_ERR_VERSION (-13)        /* negotiate: the plugin refuses this runtime */

/* ---------------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------------- */

/* A byte view. UTF-8 text unless a declaration says bytes. Not NUL-terminated; ptr may be NULL
 * when len is 0. */
typedef struct machi_str {
  const char* ptr;
  size_t len;
} machi_str;

/* Opaque handles, implemented by the host. A plugin never dereferences or frees them. */
typedef struct machi_instance_ctx machi_instance_ctx; /* one per mounted instance */
typedef struct machi_request_handle machi_request_handle; /* one per on_request call */
typedef struct machi_claims machi_claims;             /* read-only identity claims */
typedef struct machi_output machi_output;             /* sink for a hook's JSON answer */
typedef struct machi_stmt machi_stmt;                 /* prepared SQL statement */

/* Log levels for host->log. */
#define MACHI_LOG_DEBUG 0
#define MACHI_LOG_INFO 1
#define MACHI_LOG_WARN 2
#define MACHI_LOG_ERROR 3

/* SQL column types (same numbers as SQLite's fundamental types). */
#define MACHI_SQL_INTEGER 1
#define MACHI_SQL_FLOAT 2
#define MACHI_SQL_TEXT 3
#define MACHI_SQL_BLOB 4
#define MACHI_SQL_NULL 5

/* ---------------------------------------------------------------------------------------------
 * Identity claims. A request (or an info-card call) carries a read-only view of the resident's
 * claims: only what the manifest grants this mini-app and the resident consented to. Every value
 * may be absent (host->claim_get answers MACHI_ERR_NOT_FOUND). Plugins never see tokens.
 * ------------------------------------------------------------------------------------------- */
#define MACHI_CLAIM_SUBJECT "sub"          /* pairwise subject: stable per resident and mini-app,
                                              different across mini-apps */
#define MACHI_CLAIM_ASSURANCE "assurance"  /* "self-registered" or "verified" (eKYC) */
#define MACHI_CLAIM_ROLES "roles"          /* staff roles: JSON array of strings */
#define MACHI_CLAIM_LOCALE "locale"        /* BCP 47 tag, e.g. "ja", "en" */
#define MACHI_CLAIM_AUDIENCE "audience"    /* "resident" or "visitor" */
#define MACHI_CLAIM_NAME "name"            /* display name */
#define MACHI_CLAIM_LEGAL_NAME "legal_name"
#define MACHI_CLAIM_BIRTHDATE "birthdate"  /* YYYY-MM-DD */
#define MACHI_CLAIM_ADDRESS "address"      /* JSON object: {"district":…, "line":…, …} */
#define MACHI_CLAIM_DISTRICT "district"    /* district id as the manifest lists it */
#define MACHI_CLAIM_HOUSEHOLD "household"  /* JSON array of {"name","birthdate","relation"} */

/* ---------------------------------------------------------------------------------------------
 * Requests and responses
 * ------------------------------------------------------------------------------------------- */
typedef struct machi_header {
  machi_str name;  /* lower-case */
  machi_str value;
} machi_header;

/* A resident's HTTP request routed to this instance. OWNERSHIP: host; every view and the array
 * are valid until on_request returns — copy what a PENDING answer needs later.
 * Authorization, Cookie and proxy headers are removed before a plugin sees the request. */
typedef struct machi_request {
  uint32_t struct_size;
  uint32_t reserved;
  machi_request_handle* handle; /* for respond() and defer() */
  machi_str method;             /* "GET", "POST", … */
  machi_str path;               /* the path below /apps/{id}, starting with "/" */
  machi_str query;              /* raw query string without "?", may be empty */
  machi_str body;               /* bytes */
  const machi_header* headers;
  size_t header_count;
  const machi_claims* claims;   /* never NULL; may hold no claims (anonymous visitor) */
  machi_str request_id;         /* for log correlation */
} machi_request;

/* A response. OWNERSHIP: plugin; the host copies everything before respond()/complete() return.
 * Header names must be tokens and values must not hold CR or LF; Set-Cookie is dropped. */
typedef struct machi_response {
  uint32_t struct_size;
  uint32_t status;              /* 100–599 */
  machi_str content_type;       /* may be empty: application/octet-stream */
  machi_str body;
  const machi_header* headers;  /* extra headers, may be NULL */
  size_t header_count;
} machi_response;

/* A scheduled event, delivered to on_event. OWNERSHIP: host; valid until on_event returns. */
typedef struct machi_event {
  uint32_t struct_size;
  uint32_t attempt;             /* 1 on the first delivery */
  machi_str key;                /* the idempotency key given to schedule() */
  machi_str payload;            /* bytes given to schedule() */
  int64_t due_unix_ms;          /* the wall-clock time it was due */
} machi_event;

/* Arguments of on_instance_create. OWNERSHIP: host; valid until on_instance_create returns,
 * except ctx, which is valid until on_instance_destroy returns. */
typedef struct machi_instance_args {
  uint32_t struct_size;
  uint32_t reserved;
  machi_instance_ctx* ctx;      /* pass to every host callback for this instance */
  machi_str mount_id;           /* the manifest's mini-app id, e.g. "garbage" */
  machi_str municipality_id;    /* e.g. "saga" */
  machi_str config_json;        /* this mount's config object (JSON text) */
} machi_instance_args;

/* ---------------------------------------------------------------------------------------------
 * Host callbacks (implemented by the runtime). Append-only: a 1.y host offers every callback of
 * 1.0 … 1.y. Before calling a callback added after 1.0, check host->abi_minor (or struct_size).
 * A callback the host cannot serve answers MACHI_ERR_UNIMPLEMENTED.
 * Thread rules: unless a line says otherwise, a callback may be called from any thread while the
 * instance exists (between on_instance_create and the return of on_instance_destroy).
 * Failure text: after a callback fails, host->last_error gives the reason on the same thread.
 * ------------------------------------------------------------------------------------------- */
typedef struct machi_host_api {
  uint32_t struct_size;
  uint32_t abi_minor;           /* the host's minor version */

  /* Writes a log line tagged with the municipality and mount id. Messages over 4 KiB are cut.
   * Never log tokens, passwords or personal data. */
  machi_status (*log)(machi_instance_ctx* ctx, int32_t level, machi_str message);

  /* Sets the error text the runtime reports when the current hook call returns a failure
   * (for create and config validation, shown to the operator). Copies; over 4 KiB is cut.
   * Thread: the thread running the hook. */
  machi_status (*set_error)(machi_instance_ctx* ctx, machi_str message);

  /* Text of the last failed host callback on this thread (e.g. the SQL error). OWNERSHIP: host;
   * valid until the next host callback on this thread. */
  machi_status (*last_error)(machi_str* out_message);

  /* This mount's config object, JSON text. OWNERSHIP: host; valid for the instance lifetime. */
  machi_status (*config_get)(machi_instance_ctx* ctx, machi_str* out_json);

  /* Reads one claim (names: MACHI_CLAIM_*). MACHI_ERR_NOT_FOUND when absent or not granted.
   * OWNERSHIP: host; valid as long as the claims view (until the hook returns). */
  machi_status (*claim_get)(const machi_claims* claims, machi_str name, machi_str* out_value);

  /* Answers the request at once. Copies the response. Thread: the thread running on_request.
   * MACHI_ERR_INVALID_STATE if answered already; MACHI_ERR_INVALID_ARGUMENT for a bad status
   * or header (the runtime then answers 500). */
  machi_status (*respond)(machi_request_handle* request, const machi_response* response);

  /* Turns the request into a pending one: on_request then returns MACHI_PENDING and the answer
   * comes through complete(). *out_token is a generation-counted token, safe to keep after the
   * request is gone. Thread: the thread running on_request. */
  machi_status (*defer)(machi_request_handle* request, uint64_t* out_token);

  /* Completes a pending request, from any thread. Copies the response. MACHI_ERR_EXPIRED when
   * the deadline passed, the client left, or the token was already completed: never touches
   * freed memory. */
  machi_status (*complete)(machi_instance_ctx* ctx, uint64_t token,
                           const machi_response* response);

  /* Appends bytes to a hook's answer (on_info_card, on_health, on_subject_export,
   * on_config_validate). The host checks the whole answer is JSON after the hook returns.
   * MACHI_ERR_TOO_LARGE past 1 MiB. Thread: the thread running that hook. */
  machi_status (*output_append)(machi_output* output, machi_str bytes);

  /* --- Storage: this instance's own SQLite database (SQLite's SQL dialect is part of the ABI).
   * Each calling thread has its own connection: a transaction and the statements prepared on a
   * thread belong to that thread (MACHI_ERR_WRONG_THREAD elsewhere). Refused (MACHI_ERR_DENIED):
   * ATTACH, DETACH, VACUUM, load_extension, PRAGMAs other than reading ones, user_version and
   * foreign_keys, and tables named _machi_*. Writes are durable (WAL, synchronous=FULL) once a
   * statement outside a transaction is done, or at sql_commit. */
  machi_status (*sql_exec)(machi_instance_ctx* ctx, machi_str sql); /* one or more statements,
                                                                       no parameters, no rows */
  machi_status (*sql_prepare)(machi_instance_ctx* ctx, machi_str sql, machi_stmt** out_stmt);
  machi_status (*sql_bind_null)(machi_stmt* stmt, int32_t index); /* index from 1 */
  machi_status (*sql_bind_int64)(machi_stmt* stmt, int32_t index, int64_t value);
  machi_status (*sql_bind_double)(machi_stmt* stmt, int32_t index, double value);
  machi_status (*sql_bind_text)(machi_stmt* stmt, int32_t index, machi_str value); /* copies */
  machi_status (*sql_bind_blob)(machi_stmt* stmt, int32_t index, machi_str value); /* copies */
  /* MACHI_ROW, MACHI_DONE, or an error (MACHI_ERR_CONSTRAINT, MACHI_ERR_BUSY, …). */
  machi_status (*sql_step)(machi_stmt* stmt);
  machi_status (*sql_column_count)(machi_stmt* stmt, int32_t* out_count);
  machi_status (*sql_column_type)(machi_stmt* stmt, int32_t column, int32_t* out_type);
  /* OWNERSHIP of views from sql_column_*: host; valid until the next step, reset or finalize. */
  machi_status (*sql_column_name)(machi_stmt* stmt, int32_t column, machi_str* out_name);
  machi_status (*sql_column_int64)(machi_stmt* stmt, int32_t column, int64_t* out_value);
  machi_status (*sql_column_double)(machi_stmt* stmt, int32_t column, double* out_value);
  machi_status (*sql_column_text)(machi_stmt* stmt, int32_t column, machi_str* out_value);
  machi_status (*sql_column_blob)(machi_stmt* stmt, int32_t column, machi_str* out_value);
  machi_status (*sql_reset)(machi_stmt* stmt);    /* also clears bindings */
  machi_status (*sql_finalize)(machi_stmt* stmt); /* the handle is invalid afterwards */
  machi_status (*sql_changes)(machi_instance_ctx* ctx, int64_t* out_rows); /* last statement */
  machi_status (*sql_last_insert_rowid)(machi_instance_ctx* ctx, int64_t* out_rowid);
  /* BEGIN IMMEDIATE / COMMIT / ROLLBACK on this thread's connection. */
  machi_status (*sql_begin)(machi_instance_ctx* ctx);
  machi_status (*sql_commit)(machi_instance_ctx* ctx);
  machi_status (*sql_rollback)(machi_instance_ctx* ctx);

  /* Schedules on_event for this instance at due_unix_ms (wall clock, UTC milliseconds). The job
   * is stored in the instance's own database: inside a transaction it is committed with that
   * transaction or not at all. Scheduling an existing key replaces its time and payload.
   * Key ≤ 256 bytes, payload ≤ 64 KiB (MACHI_ERR_TOO_LARGE). */
  machi_status (*schedule)(machi_instance_ctx* ctx, machi_str key, int64_t due_unix_ms,
                           machi_str payload);
  /* Cancels a scheduled job. MACHI_ERR_NOT_FOUND when no job has that key. */
  machi_status (*cancel)(machi_instance_ctx* ctx, machi_str key);

  /* Publishes a message on this instance's live channel `channel` (delivered to clients
   * subscribed to /apps/{id}/live/{channel}). Copies. Channel: [a-z0-9_.-], ≤ 64 bytes;
   * message ≤ 64 KiB. *out_delivered (may be NULL) is the number of subscribers reached. */
  machi_status (*publish)(machi_instance_ctx* ctx, machi_str channel, machi_str message,
                          uint32_t* out_delivered);

  /* --- Since 1.1. Check host->abi_minor >= 1 before calling. ------------------------------- */

  /* Staff flows (library checkout, shelter check-in): resolves a scanned digital citizen card
   * (the token text from its QR code) to the resident's pairwise subject *for this mini-app*.
   * Allowed only while handling a request from staff (the request's claims carry a role). The
   * card is spent (each card resolves or verifies once) and the disclosure is written to the
   * resident's disclosure log. OWNERSHIP of *out_subject: host; valid until on_request returns.
   * Thread: the thread running on_request. Failures: MACHI_ERR_DENIED (not staff; invalid,
   * expired or already used card — last_error says which), MACHI_ERR_UNIMPLEMENTED (no
   * identity provider). */
  machi_status (*card_resolve)(machi_request_handle* request, machi_str card_token,
                               machi_str* out_subject);

  /* --- Since 1.2. Check host->abi_minor >= 2 before calling. ------------------------------- */

  /* Notifies one resident, addressed by the pairwise subject this mini-app received for them.
   * notification_json: {"key", "category", "title", "body"?, "link"?, "urgency"?,
   * "expires_unix_ms"?} — key: idempotency key (≤ 128 bytes; the same key for the same resident
   * is delivered once); category: [a-z0-9_-] ≤ 32 (residents mute categories); title ≤ 200
   * bytes; body ≤ 2000 bytes; link: a path inside this mini-app ("/…"); urgency: low, normal
   * (default), high or critical (disaster warnings: ignores quiet hours). The notification is
   * written to this instance's own database (table _machi_outbox, on this thread's connection):
   * inside a transaction it is committed with that transaction or not at all; the runtime then
   * moves it to the resident's inbox and push channels. Copies. Thread: any hook's thread.
   * Failures: MACHI_ERR_NOT_FOUND (no resident has that subject here), MACHI_ERR_INVALID_ARGUMENT
   * (malformed JSON or field; last_error names it), MACHI_ERR_TOO_LARGE (JSON over 8 KiB). */
  machi_status (*notify)(machi_instance_ctx* ctx, machi_str subject, machi_str notification_json);

  /* schedule() with an expiry: a job not delivered by expires_unix_ms (for example because the
   * runtime was down, or the mini-app disabled) is dropped instead of delivered late. 0 = never
   * expires (same as schedule()). expires_unix_ms must be after due_unix_ms. Each instance keeps
   * at most the manifest's job quota (MACHI_ERR_TOO_LARGE beyond; replacing a key always works). */
  machi_status (*schedule_until)(machi_instance_ctx* ctx, machi_str key, int64_t due_unix_ms,
                                 int64_t expires_unix_ms, machi_str payload);

  /* Converts a local date and time in the municipality's time zone (the manifest's "timezone")
   * to UTC milliseconds: "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS". A time that falls twice
   * (clocks going back) is the earlier instant; one that does not exist (clocks going forward)
   * is the instant the clocks changed. MACHI_ERR_INVALID_ARGUMENT for any other text. */
  machi_status (*local_time_to_unix)(machi_instance_ctx* ctx, machi_str local_date_time,
                                     int64_t* out_unix_ms);

  /* --- Since 1.3. Check host->abi_minor >= 3 before calling. ------------------------------- */

  /* Reads one file from this mount's data directory (the manifest's "data_dir": the files the
   * municipality publishes for this mini-app, e.g. open-data CSVs). The plugin sees nothing else
   * of the file system through the host. name: a relative path, segments of [A-Za-z0-9._-]
   * separated by "/", no "." or ".." segment and not starting with "."; a symbolic link that
   * leads outside the directory is refused. OWNERSHIP of *out_bytes: host; valid until the next
   * read_data_file call on the same thread. Failures: MACHI_ERR_UNIMPLEMENTED (the mount has no
   * data_dir), MACHI_ERR_DENIED (name not allowed or outside the directory), MACHI_ERR_NOT_FOUND
   * (no such regular file), MACHI_ERR_TOO_LARGE (over 64 MiB); last_error says which. */
  machi_status (*read_data_file)(machi_instance_ctx* ctx, machi_str name, machi_str* out_bytes);
} machi_host_api;

/* ---------------------------------------------------------------------------------------------
 * Plugin hooks (implemented by the plugin). NULL means "not implemented". The three instance
 * hooks are required; every other hook is optional, and every hook added after 1.0 is optional.
 * A hook that fails returns a negative status and may call host->set_error first.
 * ------------------------------------------------------------------------------------------- */
typedef struct machi_plugin_hooks {
  uint32_t struct_size;         /* sizeof(machi_plugin_hooks) the plugin was built with */
  uint32_t reserved;

  /* Required. Creates one instance for one mount. *out_instance is the plugin's own state, passed
   * back to every hook. Thread: a runtime thread, never concurrently with other hooks of this
   * instance. On failure: call set_error, return a negative status; the mount is not served. */
  machi_status (*on_instance_create)(const machi_instance_args* args, void** out_instance);

  /* Required. Destroys an instance after its last hook call has returned and every pending
   * request was completed or expired. Thread: a runtime thread. */
  void (*on_instance_destroy)(void* instance);

  /* Required. Handles one request. Answer with host->respond and return MACHI_OK, or call
   * host->defer and return MACHI_PENDING. Thread: an I/O thread if the plugin declared
   * MACHI_PLUGIN_FLAG_NONBLOCKING (then it must never block), otherwise a worker-pool thread
   * with a deadline. Called concurrently from several threads. Returning MACHI_OK without an
   * answer, or a failure, makes the runtime answer 500. */
  machi_status (*on_request)(void* instance, const machi_request* request);

  /* Optional. Validates a mount's config before any instance is created (machi check and live
   * reloads). Append problems as a JSON array of {"path": "/json/pointer", "message": "…"};
   * return MACHI_OK when valid, MACHI_ERR_INVALID_ARGUMENT when not. Thread: any. */
  machi_status (*on_config_validate)(machi_str config_json, machi_output* problems);

  /* Optional. A scheduled job is due. MACHI_OK removes the job; a failure retries it later
   * with back-off (event->attempt counts). Thread: a worker-pool thread. */
  machi_status (*on_event)(void* instance, const machi_event* event);

  /* Optional. The resident's home-screen card: append one JSON object
   * {"title":…, "body":…, "link":…} in `locale`, or nothing for no card. Thread: worker. */
  machi_status (*on_info_card)(void* instance, const machi_claims* claims, machi_str locale,
                               machi_output* card);

  /* Optional. MACHI_OK when healthy; may append a JSON object with details. Thread: worker. */
  machi_status (*on_health)(void* instance, machi_output* detail);

  /* Optional. Appends every datum held about `subject` (pairwise subject) as one JSON value,
   * for the resident's data export. Thread: worker. */
  machi_status (*on_subject_export)(void* instance, machi_str subject, machi_output* data);

  /* Optional. Erases everything held about `subject` (account deletion), durably, before
   * returning MACHI_OK. Thread: worker. */
  machi_status (*on_subject_erase)(void* instance, machi_str subject);
} machi_plugin_hooks;

/* ---------------------------------------------------------------------------------------------
 * Handshake
 * ------------------------------------------------------------------------------------------- */

/* The plugin's request hook never blocks: it may run inline on an I/O thread. */
#define MACHI_PLUGIN_FLAG_NONBLOCKING 0x1u

/* What the runtime offers. OWNERSHIP: host; `host` stays valid forever (plugins are never
 * unloaded), runtime_version until negotiate returns. */
typedef struct machi_negotiate_in {
  uint32_t struct_size;
  uint32_t abi_major;           /* the runtime's */
  uint32_t abi_minor;
  uint32_t reserved;
  machi_str runtime_version;    /* e.g. "0.1.0" */
  const machi_host_api* host;
} machi_negotiate_in;

/* What the plugin answers. The host zero-fills it and sets struct_size to the size it knows; the
 * plugin writes only fields that fit within that size. OWNERSHIP: plugin; every pointer must
 * stay valid forever (static storage). */
typedef struct machi_negotiate_out {
  uint32_t struct_size;
  uint32_t abi_major;           /* the plugin's: MACHI_ABI_MAJOR it was built with */
  uint32_t abi_minor;
  uint32_t flags;               /* MACHI_PLUGIN_FLAG_* */
  machi_str plugin_id;          /* [a-z0-9_-], 1–64 bytes, e.g. "garbage_calendar" */
  machi_str plugin_version;     /* semantic version of the plugin, e.g. "1.4.2" */
  machi_str description;        /* one line, for machi plugin-info and the app list */
  const machi_plugin_hooks* hooks;
} machi_negotiate_out;

/* The one exported function. Thread: called once per loaded file, before any hook. Return
 * MACHI_OK, or MACHI_ERR_VERSION to refuse the runtime (the runtime refuses a different major
 * or a newer plugin minor on its own; the message names the file and both versions). */
typedef machi_status (*machi_negotiate_fn)(const machi_negotiate_in* in,
                                           machi_negotiate_out* out);

#if defined(__GNUC__)
#define MACHI_EXPORT __attribute__((visibility("default")))
#else
#define MACHI_EXPORT
#endif

MACHI_EXPORT machi_status machi_plugin_negotiate(const machi_negotiate_in* in,
                                                 machi_negotiate_out* out);

#ifdef __cplusplus
}
#endif

#endif /* MACHI_PLUGIN_API_H */
