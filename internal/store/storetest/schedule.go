package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/igconnect/gateway/internal/store"
)

// The refresh schedule: Schedule and ScheduleNoLater set due times,
// ClaimDue hands out what is due, earliest first, and holds it for the
// lease; Unschedule and Delete remove entries.
func testSchedule(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	claim := func(now time.Time, n int, lease time.Duration) []string {
		t.Helper()
		ids, err := s.ClaimDue(ctx, now, n, lease)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := claim(at(100), 10, time.Minute); len(got) != 0 {
		t.Fatalf("an empty schedule claimed %v", got)
	}
	must(s.Schedule(ctx, "c3", at(3)))
	must(s.Schedule(ctx, "c1", at(1)))
	must(s.Schedule(ctx, "c2", at(2)))
	must(s.Schedule(ctx, "c9", at(9)))
	// Schedule moves both ways; ScheduleNoLater only earlier (or adds).
	must(s.Schedule(ctx, "c2", at(20)))
	must(s.ScheduleNoLater(ctx, "c3", at(30)))
	must(s.ScheduleNoLater(ctx, "c9", at(4)))
	must(s.ScheduleNoLater(ctx, "c5", at(5)))
	must(s.Unschedule(ctx, "c1"))
	must(s.Unschedule(ctx, "c_never"))

	if got, want := claim(at(0), 10, time.Minute), []string(nil); len(got) != 0 {
		t.Fatalf("claimed before anything is due: %v, want %v", got, want)
	}
	if got, want := claim(at(4), 10, 10*time.Minute), []string{"c3", "c9"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ClaimDue(at 4) = %v, want %v (earliest first)", got, want)
	}
	// Claimed entries are held until at(14): not claimed again before, and
	// ScheduleIfAbsent leaves them (and every entry there is) as they are.
	must(s.ScheduleIfAbsent(ctx, "c3", at(0)))
	must(s.ScheduleIfAbsent(ctx, "c5", at(0)))
	if got, want := claim(at(13), 1, time.Minute), []string{"c5"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ClaimDue(at 13, 1) = %v, want %v (n bounds it)", got, want)
	}
	if got := claim(at(13), 10, time.Minute); len(got) != 0 {
		t.Fatalf("held entries claimed again: %v", got)
	}
	// The lease ends: a claimer that never came back has lost them.
	if got, want := claim(at(14), 10, time.Minute), []string{"c3", "c9", "c5"}; !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Fatalf("after the lease: %v, want %v", got, want)
	}
	// Settle moves or removes a claimed entry only while the claim holds.
	settle := func(id string, claimAt, to time.Time, want bool) {
		t.Helper()
		if ok, err := s.Settle(ctx, id, claimAt, to); err != nil || ok != want {
			t.Fatalf("Settle(%s) = %v, %v; want %v", id, ok, err, want)
		}
	}
	held := at(15) // the claim of c3, c9 and c5 above
	settle("c3", held.Add(time.Millisecond), at(500), false)
	must(s.Schedule(ctx, "c9", at(16))) // a write since the claim: it wins
	settle("c9", held, at(500), false)
	settle("c5", held, time.Time{}, true)
	settle("c5", held, at(500), false)
	settle("c_never", held, at(500), false)
	settle("c3", held, at(15), true)
	must(s.Schedule(ctx, "c9", at(15)))
	must(s.Schedule(ctx, "c5", at(15)))
	// ScheduleIfAbsent adds an entry that is missing.
	must(s.ScheduleIfAbsent(ctx, "c7", at(14)))
	if got, want := claim(at(14), 10, time.Minute), []string{"c7"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ScheduleIfAbsent of a missing entry: claimed %v, want %v", got, want)
	}
	must(s.Unschedule(ctx, "c7"))
	// A claimer reschedules what it finished.
	must(s.Schedule(ctx, "c3", at(1000)))
	must(s.Unschedule(ctx, "c5"))
	if got, want := claim(at(999), 10, time.Hour), []string{"c9", "c2"}; !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Fatalf("ClaimDue(at 999) = %v, want %v", got, want)
	}
	// Delete drops a connection's entry.
	c := Conn("conn_sched", "h")
	must(s.Create(ctx, c))
	must(s.Schedule(ctx, c.ID, at(0)))
	must(s.Delete(ctx, c.ID))
	if got := claim(at(1000), 10, time.Minute); contains(got, c.ID) || !reflect.DeepEqual(got, []string{"c3"}) {
		t.Fatalf("after Delete: %v, want [c3]", got)
	}
	if got := claim(at(5000), 0, time.Minute); len(got) != 0 {
		t.Fatalf("ClaimDue(n=0) = %v", got)
	}
}

// Replicas claiming at once each get their own entries: every due entry
// is claimed exactly once.
func testConcurrentClaimDue(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const entries, claimers = 200, 8
	for i := range entries {
		if err := s.Schedule(ctx, fmt.Sprintf("c%03d", i), now.Add(-time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range entries { // bounded: each round claims one or more
				ids, err := s.ClaimDue(ctx, now, 7, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ids) == 0 {
					return
				}
				mu.Lock()
				for _, id := range ids {
					seen[id]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != entries {
		t.Fatalf("%d entries claimed, want %d", len(seen), entries)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s claimed %d times", id, n)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
