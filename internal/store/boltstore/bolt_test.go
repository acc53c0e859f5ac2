package boltstore

import (
	"context"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/store"
	"github.com/igconnect/gateway/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(context.Background(), storetest.Conn("conn_p", "hp")); err != nil {
		t.Fatal(err)
	}
	// A second opener while the first holds the file fails clearly.
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open: %v", err)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c, err := s.Get(context.Background(), "conn_p"); err != nil || c.KeyHash != storetest.Hash("hp") {
		t.Fatalf("after reopen: %+v %v", c, err)
	}
}
