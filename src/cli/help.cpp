// `grin help [TOPIC | COMMAND...]`: the operator's manual in the binary. Topics hold what
// a person needs beside the flags (exit codes, files, storage credentials, the progress
// line, resuming, tuning, moving from grin-transfer, troubleshooting); a command name
// prints that command's --help.
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <string_view>

namespace grin::cli {

namespace {

struct topic {
    std::string_view name;
    std::string_view summary;
    std::string_view text;
};

constexpr topic topics[] = {
    {"workflow", "the order of commands for a library, from sign-in to export",
     R"(A library's collection is one "run" (output/<run>/). The usual order:

  grin auth setup                                   # once per machine
  grin collect --run-name R --library-directory Harvard --storage local --storage-path /data
  grin enrich --run-name R                          # optional: GRIN's per-book metadata
  grin process request --run-name R --queue previous   # ask GRIN to convert (cap 50,000)
  grin process monitor --run-name R                 # watch conversions arrive
  grin sync pipeline --run-name R --queue converted # download, decrypt, store
  grin sync status --run-name R                     # where the run stands
  grin export --run-name R                          # books_export.csv (or --format jsonl)
  grin reports view --run-name R                    # what each command did

Every command can be interrupted and rerun; nothing already recorded is done twice.
)"},
    {"exit-codes", "what each exit code means (the same for every command)",
     R"(0    everything asked for was done (or a normal stop, such as GRIN's full queue)
1    some books or steps failed; they are recorded in the database with their reason,
     and a rerun retries them (see `grin sync status`)
2    usage or configuration error: a bad flag, a missing run, a credentials file that
     cannot be read; nothing was changed, the message says what to fix
130  interrupted (Ctrl-C twice, or once where the command cannot finish cleanly);
     everything committed is kept, rerun to continue
)"},
    {"files", "the run directory and the credential files",
     R"(output/<run>/                    (--output-root changes output/)
  run_config.json                written once by the first collect; every later command
                                 reads it (library, storage, concurrency, staging)
  books.db                       SQLite: books, status history (grin-transfer's schema)
  books_export.csv               written by collect, sync and `grin export`
  process_summary.json           what every command did (`grin reports view`)
  logs/grin_pipeline_<run>_<time>.log   the log of every command of the run
  backups/books_backup_<time>.db online backups made by sync (newest 10 kept)
  staging/                       decrypted archives waiting for upload (object storage)
  session.lock                   one writing command per run at a time

Credentials (~/.config/grin-transfer/, or $GRIN_CREDENTIALS_DIR, or --secrets-dir):
  client_secret.json   the Google OAuth client ("Desktop app")
  credentials.json     written by `grin auth setup` (mode 0600; refreshed tokens too)
  gpg_passphrase.asc   the library's GRIN passphrase (or --passphrase-file)
  r2_credentials.json  Cloudflare R2 keys and buckets (mode 0600 required)
Files holding secrets must not be readable by others: chmod 600 FILE.
)"},
    {"storage", "local, S3, R2 and MinIO storage with credential examples",
     R"(Chosen once at `grin collect` and remembered in run_config.json. Three roles:
raw (decrypted archives <run>/<B>/<B>.tar.gz), full (OCR text <B>_ocr.jsonl.gz), meta
(CSV, database copies, process summary). Secrets never go into run_config.json.

Local directory:
  grin collect ... --storage local --storage-path /data/books

AWS S3 (keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, or a
profile in ~/.aws/credentials chosen with AWS_PROFILE):
  grin collect ... --storage s3 --bucket-raw lib-raw --bucket-meta lib-meta \
      --bucket-full lib-full --storage-config region=us-east-1 \
      --storage-config storage_class=DEEP_ARCHIVE

Cloudflare R2 (r2_credentials.json in the credentials directory, mode 0600):
  {"endpoint_url": "https://<account>.r2.cloudflarestorage.com",
   "access_key": "...", "secret_key": "...",
   "bucket_raw": "lib-raw", "bucket_meta": "lib-meta", "bucket_full": "lib-full"}
  grin collect ... --storage r2

MinIO or another S3-compatible store:
  AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=... \
  grin collect ... --storage minio --storage-config endpoint_url=http://minio:9000 \
      --bucket-raw grin-raw --bucket-meta grin-meta --bucket-full grin-full

Buckets must exist; collect and sync check them (and the keys) before the first book.
`grin storage ls|cp|rm --run-name R` work on the run's objects only.
)"},
    {"progress", "how to read the sync progress line",
     R"(  1,200/36,048 (3.3%) - 4.2 books/sec - elapsed: 4m 46s (ETA: 2h 18m)
      [downloads: 4/4, processing: 6, waiting to download: 31, waiting to be processed: 0]

done/total      books finished (synced, skipped or failed) out of the queue
books/sec       over the last minute; ETA from that rate
downloads a/b   archives downloading now / --task-download-concurrency
processing      books decrypting, uploading or recording
waiting to download        admitted books waiting for a download slot: the link or
                           GRIN is the limit (raise download concurrency if the link
                           is not full)
waiting to be processed    books waiting for an upload slot: storage is the limit

The line is printed every 20 books and at least every 10 s; on a terminal it redraws in
place. The same figures go to the log file. `grin sync status` shows totals at any time.
)"},
    {"resume", "interrupting, resuming and dry runs",
     R"(Ctrl-C once: no new books start; the books in flight finish and are recorded; the
end-of-run steps (CSV export, database backup) run; exit 0.
Ctrl-C twice: the books in flight are cancelled, the database is committed and closed
cleanly; exit 130. A book is marked completed only after its archive is stored, so an
interrupted book is simply done again by the next run.

Rerun the same command to continue: books already synced with an unchanged ETag are
skipped without downloading. `--queue changed` re-checks synced books for new ETags;
`--force` downloads again anyway.

--dry-run (sync pipeline, process request) reads GRIN and the database and prints what
would happen per book; it takes no lock and writes nothing anywhere, not even a log.
)"},
    {"tuning", "concurrency and resource settings",
     R"(Defaults come from run_config.json (set at collect with --sync-task-*-concurrency)
and can be overridden per sync run:
  --task-check-concurrency N      HEAD requests in parallel (default 8)
  --task-download-concurrency N   archives downloading at once (default 16); GRIN serves
                                  each download at a limited speed, so more downloads
                                  fill a fast link; watch "waiting to download"
  --task-upload-concurrency N     uploads at once (default 20)
  --max-in-flight N               books admitted at once (memory: ~1 MiB per book)
Decryption and OCR extraction use every CPU core automatically. GRIN connections are
pooled and reused (one TLS handshake per connection), SQLite writes are batched by one
connection. enrich: --max-concurrent (5) and --rate-limit (requests per second).
Staging space: --sync-staging-dir and --sync-disk-space-threshold (0.9) at collect;
downloads wait while the disk is fuller than the threshold.
)"},
    {"metrics", "watching a long run: the metrics endpoint and the database check",
     R"(The long commands (sync pipeline, collect, enrich, process request, process monitor)
serve their figures while they run:

  grin sync pipeline --run-name R --queue converted --metrics-port 9464
  curl http://127.0.0.1:9464/metrics                 # Prometheus text format
  curl http://127.0.0.1:9464/api/metrics/database    # SQLite operations, p50/p95/p99, locks
  curl http://127.0.0.1:9464/healthz

--metrics-port 0 picks a free port (printed at start). The server listens on 127.0.0.1;
another --metrics-bind address needs --metrics-allow-remote (there is no
authentication). The same figures are saved in process_summary.json at the end
(`grin reports view --raw`). A database operation slower than 1 s logs a warning.

  grin db check --run-name R     # integrity, pages, WAL size, rows, largest tables
)"},
    {"migrate", "moving a run from grin-transfer to grin",
     R"(grin reads grin-transfer's run directories as they are: output/<run>/run_config.json,
books.db (same schema; grin adds its own indexes and tables, which grin-transfer ignores),
and the credential files in ~/.config/grin-transfer/. To switch mid-collection:
  1. stop grin-transfer (let its current books finish)
  2. grin sync status --run-name <run>        # grin sees the same books and statuses
  3. grin sync pipeline --run-name <run> --queue converted
Books grin-transfer marked completed are skipped; its failed books are retried.
Differences: a failed upload is never recorded as completed; `--limit` counts unsynced
books; enrich batches that failed stay retryable; `storage ls/rm` are scoped to the run.
)"},
    {"troubleshooting", "common errors and what to do",
     R"(error                                      what to do
"no run 'R' ... run `grin collect` first"  the run name or --output-root is wrong, or
                                           collect has not run yet
"OAuth credentials file not found at ..." run `grin auth setup` (or set
                                           GRIN_CREDENTIALS_DIR / --secrets-dir)
"the OAuth token endpoint refused the refresh token"
                                           the sign-in was revoked or expired: run
                                           `grin auth setup` again
"403 ... library directory"                the account may not read this library
                                           directory; check --library-directory
decrypt_failed "wrong passphrase"          wrong gpg_passphrase.asc for this library
"another grin process is working on ..."   one writing command per run: wait for it,
                                           or remove a stale session.lock only if no
                                           grin process runs
"run 'R' was started with different settings"
                                           a later collect was given other settings;
                                           drop the flags or start a new --run-name
"HeadBucket ... 403 / SignatureDoesNotMatch"  wrong keys, endpoint or region for the
                                           bucket (see `grin help storage`)
"world-readable" credential file           chmod 600 FILE
"disk usage ... is over the ... threshold"  staging is full: free space or raise
                                           --sync-disk-space-threshold at collect
"GRIN's conversion queue is full"          normal: wait, watch `grin process monitor`
429 / "SlowDown" in the log                retried with backoff; lower concurrency if
                                           it persists
Run with --log-level debug to see every request in the run's log file.
)"},
};

// The first clause of a command's description, short enough for one line.
std::string headline(const std::string& description) {
    std::string line = description.substr(0, description.find_first_of("\n"));
    for (const char* end : {". ", ": ", " ("})
        line = line.substr(0, line.find(end));
    if (line.size() > 60)
        line = line.substr(0, line.rfind(' ', 57)) + "...";
    return line;
}

const topic* find_topic(std::string_view name) {
    for (const auto& candidate : topics)
        if (candidate.name == name)
            return &candidate;
    return nullptr;
}

void list_topics(const CLI::App& app) {
    std::cout << "Usage: grin help TOPIC | grin help COMMAND [SUBCOMMAND]\n\nTopics:\n";
    for (const auto& t : topics)
        std::cout << "  " << t.name << std::string(18 - t.name.size(), ' ') << t.summary << '\n';
    std::cout << "\nCommands:\n";
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        if (sub->get_name() != "help")
            std::cout << "  " << sub->get_name() << std::string(18 - sub->get_name().size(), ' ')
                      << headline(sub->get_description()) << '\n';
    std::cout.flush();
}

int run_help(const CLI::App& app, const std::vector<std::string>& words) {
    if (words.empty()) {
        list_topics(app);
        return 0;
    }
    if (words.size() == 1)
        if (const topic* t = find_topic(words.front())) {
            std::cout << t->text;
            return 0;
        }
    const CLI::App* command = &app;
    std::string parents; // "grin sync" for `grin help sync pipeline`, as --help shows it
    for (const auto& word : words) {
        parents += (parents.empty() ? "" : " ") + command->get_name();
        const CLI::App* next = nullptr;
        for (const auto* sub : command->get_subcommands([](const CLI::App*) { return true; }))
            if (sub->get_name() == word)
                next = sub;
        if (!next)
            throw fatal("no help topic or command '" + word +
                        "': `grin help` lists the topics and commands");
        command = next;
    }
    std::cout << command->help(parents);
    return 0;
}

} // namespace

void add_help(CLI::App& app, command_list& commands) {
    auto words = std::make_shared<std::vector<std::string>>();
    auto* sub = app.add_subcommand(
        "help", "Longer help: topics (workflow, exit-codes, files, storage, progress, resume, "
                "tuning, metrics, migrate, troubleshooting) or a command's flags.\n\nExamples:\n"
                "  grin help\n  grin help storage\n  grin help sync pipeline");
    sub->add_option("topic", *words, "A topic, or a command and its subcommand");
    const CLI::App* root = &app;
    commands.push_back({sub, [root, words] { return run_help(*root, *words); }});
}

} // namespace grin::cli
