package storage

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestMigrations(t *testing.T) {
	all, err := migrations()
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	if all[0].name != "0001_init.sql" || all[0].version != 1 {
		t.Errorf("first migration is %s (version %d)", all[0].name, all[0].version)
	}
}

func TestMigrateIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warroom.db")
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range all {
		names = append(names, m.name)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	if got := db.Applied(); !reflect.DeepEqual(got, names) {
		t.Errorf("first Open applied %v, want %v", got, names)
	}
	createIncident(t, db, "Survives", "inc-survives")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer db.Close()
	if got := db.Applied(); len(got) != 0 {
		t.Errorf("second Open applied %v", got)
	}
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate on an up-to-date database: %v, %v", applied, err)
	}
	if n := count(t, db, "schema_migrations"); n != len(all) {
		t.Errorf("%d rows in schema_migrations, want %d", n, len(all))
	}
	if n := count(t, db, "incidents"); n != 1 {
		t.Errorf("%d incidents after reopening, want 1", n)
	}
}

func TestOpenOnlyThenMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warroom.db")

	for i, want := range []int{1, 0} {
		db, err := OpenOnly(ctx, path)
		if err != nil {
			t.Fatalf("OpenOnly %d: %v", i, err)
		}
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("Migrate %d: %v", i, err)
		}
		if len(applied) < want || (want == 0 && len(applied) != 0) {
			t.Errorf("Migrate %d applied %v", i, applied)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrateRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warroom.db")

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.write.Exec("INSERT INTO schema_migrations (version, name, applied_at) " +
		"VALUES (9999, '9999_from_the_future.sql', 0)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Migrate returned %v, want ErrNewerSchema", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a database from a newer warroom")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open returned %v, want ErrNewerSchema", err)
	}
}

func TestOpenConcurrently(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warroom.db")

	errs := make(chan error, 4)
	dbs := make(chan *DB, 4)
	for range 4 {
		go func() {
			db, err := Open(ctx, path)
			errs <- err
			dbs <- db
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
		if db := <-dbs; db != nil {
			db.Close()
		}
	}
}
