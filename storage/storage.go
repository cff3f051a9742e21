// Package storage keeps warroom's incidents, timelines and jobs in a SQLite
// file, through github.com/mattn/go-sqlite3. *DB implements bot.Store.
//
// SQLite lets one connection write at a time. DB therefore holds two pools
// on the same file: a writer of exactly one connection, whose transactions
// begin IMMEDIATE so they queue in the pool instead of failing with
// SQLITE_BUSY, and a pool of read-only readers, which in WAL mode never
// wait for the writer.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"warroom/bot"
)

// busyTimeout is how long a connection waits for a lock another process
// holds (a backup, a migration) before it fails with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

var _ bot.Store = (*DB)(nil)

// DB is an open warroom database. It is safe for concurrent use.
type DB struct {
	path    string
	write   *sql.DB
	read    *sql.DB
	applied []string
}

// Open opens the SQLite file at path, creating it when it does not exist,
// and applies the migrations it lacks. The file is put in WAL mode with
// foreign keys enforced. A database migrated by a newer warroom is refused
// with an error wrapping ErrNewerSchema. path must name a file on a local
// file system that supports WAL; ":memory:" is refused.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: no path given")
	}

	db, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	db.applied, err = db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// OpenOnly opens the SQLite file at path like Open but applies no
// migrations, for `warroom migrate`, which applies them itself with Migrate
// and reports what it applied. Use Open everywhere else.
func OpenOnly(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: no path given")
	}

	db, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

func open(ctx context.Context, path string) (*DB, error) {
	// The writer sets the journal mode, which is stored in the file, before
	// any reader opens it.
	write, err := sql.Open("sqlite3", dsn(path, url.Values{
		"_txlock":       {"immediate"},
		"_journal_mode": {"WAL"},
		"_foreign_keys": {"1"},
		"_synchronous":  {"NORMAL"},
		"_busy_timeout": {busyMillis()},
	}))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	mode, err := journalMode(ctx, write)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		write.Close()
		return nil, fmt.Errorf("journal mode is %q, not wal: the file system may not "+
			"support WAL", mode)
	}

	// Readers open the file read-only, so a View cannot change anything by
	// mistake. (PRAGMA query_only would also refuse VACUUM INTO, which
	// Backup runs on a reader.)
	read, err := sql.Open("sqlite3", dsn(path, url.Values{
		"mode":          {"ro"},
		"_foreign_keys": {"1"},
		"_busy_timeout": {busyMillis()},
	}))
	if err != nil {
		write.Close()
		return nil, err
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	read.SetConnMaxIdleTime(5 * time.Minute)

	return &DB{path: path, write: write, read: read}, nil
}

// journalMode opens the first connection, which switches a new file to
// WAL. SQLite answers "locked" at once, without waiting out the busy
// timeout, when two processes switch the same new file at the same moment,
// so the switch is tried again for as long as the busy timeout.
func journalMode(ctx context.Context, db *sql.DB) (string, error) {
	deadline := time.Now().Add(busyTimeout)
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
		var se sqlite3.Error
		busy := errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
		if !busy || time.Now().After(deadline) {
			return mode, err
		}

		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// dsn builds a go-sqlite3 data source name for the file at path. The path
// is escaped so that '?', '#' and '%' in it are not read as URI syntax.
func dsn(path string, params url.Values) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + params.Encode()
}

func busyMillis() string {
	return fmt.Sprint(busyTimeout.Milliseconds())
}

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Applied returns the migrations Open applied, oldest first, such as
// "0001_init.sql"; it is empty when the database was already up to date.
func (db *DB) Applied() []string { return append([]string(nil), db.applied...) }

// Close closes the database. The writer closes last, so that it
// checkpoints the WAL into the main file.
func (db *DB) Close() error {
	err := errors.Join(db.read.Close(), db.write.Close())
	if err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Ping checks that the database answers a query, for the readiness check.
// It uses a reader, so a long write does not make the server look down.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n)
	if err != nil {
		return fmt.Errorf("ping database %s: %w", db.path, err)
	}
	return nil
}

// Update runs fn in one read-write transaction, committed when fn returns
// nil and rolled back when fn returns an error or panics. Updates run one
// at a time; one waits for the one before it, up to ctx's deadline. fn
// must not call Update itself: the inner call would wait for the outer.
func (db *DB) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return run(ctx, db.write, fn)
}

// View runs fn in a read-only transaction, which sees the database as it
// was when the transaction began. Writes in fn fail.
func (db *DB) View(ctx context.Context, fn func(bot.Tx) error) error {
	return run(ctx, db.read, fn)
}

func run(ctx context.Context, pool *sql.DB, fn func(bot.Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}

	// The deferred rollback also runs while a panic in fn unwinds.
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()

	if err := fn(&Tx{ctx: ctx, tx: sqlTx}); err != nil {
		return err
	}

	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	committed = true
	return nil
}

// Prune deletes what the store no longer needs: deliveries seen before
// before, and jobs done or failed before before. Pending jobs are kept
// however old. It returns how many rows it deleted.
func (db *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	err := db.Update(ctx, func(btx bot.Tx) error {
		tx := btx.(*Tx)
		for _, query := range []string{
			"DELETE FROM deliveries WHERE seen_at < ?1",
			"DELETE FROM jobs WHERE done_at < ?1 OR failed_at < ?1",
		} {
			res, err := tx.tx.ExecContext(ctx, query, before.UnixMilli())
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return total, nil
}

// isConstraint reports whether err is a SQLite constraint failure of the
// given extended code, such as sqlite3.ErrConstraintUnique.
func isConstraint(err error, code sqlite3.ErrNoExtended) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == code
}
