package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

// memList is a list newest first with the fake Graph API's paging:
// cursors are positions, so that new items shift the pages under a
// cursor and deletions shift them back.
type memList struct {
	ids     []string // newest first
	times   map[string]int64
	seq     map[string]int // the order items were added in
	added   int
	now     int64
	tick    int64 // seconds between two items (0: one second for all)
	calls   int
	expired map[string]bool // cursors answered once as Graph answers an expired one
}

func newMemList(tick int64) *memList {
	return &memList{times: map[string]int64{}, seq: map[string]int{}, now: 1764000000, tick: tick, expired: map[string]bool{}}
}

// add adds n items, the oldest first, and returns their IDs in that order.
func (l *memList) add(n int) []string {
	out := make([]string, n)
	for i := range n {
		l.added++
		id := strconv.Itoa(17900000000000000 + l.added)
		l.now += l.tick
		l.times[id], l.seq[id] = l.now, l.added
		l.ids = append([]string{id}, l.ids...)
		out[i] = id
	}
	return out
}

func (l *memList) remove(ids ...string) {
	l.ids = slices.DeleteFunc(l.ids, func(id string) bool { return slices.Contains(ids, id) })
}

func (l *memList) list(_ context.Context, after string, limit int) (*Page, error) {
	l.calls++
	if l.expired[after] {
		delete(l.expired, after) // the cursor of a later walk is new
		return nil, &connectors.Error{Code: connectors.CodeBadRequest, Message: "Invalid cursor", Upstream: &connectors.UpstreamDetail{Code: 100}}
	}
	start := 0
	if after != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(after, "pos:"))
		if err != nil {
			return nil, err
		}
		start = n + 1
	}
	start = min(start, len(l.ids))
	end := min(start+limit, len(l.ids))
	p := &Page{}
	for _, id := range l.ids[start:end] {
		p.Items = append(p.Items, Item{ID: id, Time: l.times[id], Raw: json.RawMessage(`{"id":"` + id + `"}`)})
	}
	if end < len(l.ids) {
		p.After = "pos:" + strconv.Itoa(end-1)
	}
	return p, nil
}

// poller polls like Power Automate: the state of each answer goes into
// the next poll.
type poller struct {
	t     *testing.T
	l     *memList
	lim   Limits
	st    State
	got   []string
	polls int
}

func startPoller(t *testing.T, l *memList, lim Limits) *poller {
	t.Helper()
	st, err := Start(context.Background(), l.list)
	if err != nil {
		t.Fatal(err)
	}
	return &poller{t: t, l: l, lim: lim.withDefaults(), st: st}
}

// poll polls once and checks the poll's bounds.
func (p *poller) poll() *Result {
	p.t.Helper()
	p.polls++
	before := p.l.calls
	res, err := Poll(context.Background(), p.l.list, p.st, p.lim)
	if err != nil {
		p.t.Fatal(err)
	}
	if calls := p.l.calls - before; calls > p.lim.MaxPages {
		p.t.Fatalf("poll %d walked %d pages, over %d", p.polls, calls, p.lim.MaxPages)
	}
	if len(res.Items) > p.lim.MaxBatch {
		p.t.Fatalf("poll %d delivered %d items, over %d", p.polls, len(res.Items), p.lim.MaxBatch)
	}
	// The state survives its trip through a URL.
	s := NewSigner(nil)
	enc, err := s.Sign(connA, trigger, res.State)
	if err != nil {
		p.t.Fatalf("poll %d: %v", p.polls, err)
	}
	raw, _ := ParseState(enc)
	if p.st, err = s.Verify(connA, trigger, raw); err != nil {
		p.t.Fatal(err)
	}
	for _, it := range res.Items {
		p.got = append(p.got, it.ID)
	}
	return res
}

// drain polls until a poll finds nothing and expects nothing more.
func (p *poller) drain() {
	p.t.Helper()
	for range 500 {
		if res := p.poll(); len(res.Items) == 0 && !res.More {
			return
		}
	}
	p.t.Fatalf("still polling after 500 polls; delivered %d", len(p.got))
}

// check: every item added after the start and still listed is delivered,
// none twice, none from before the start, in the order they were added.
func (p *poller) check(firstAfterStart int) {
	p.t.Helper()
	delivered := map[string]bool{}
	last := 0
	for _, id := range p.got {
		if delivered[id] {
			p.t.Fatalf("%s delivered twice: %v", id, p.got)
		}
		delivered[id] = true
		seq := p.l.seq[id]
		if seq < firstAfterStart {
			p.t.Fatalf("%s (item %d) was there before the start", id, seq)
		}
		if seq < last {
			p.t.Fatalf("%s (item %d) delivered after item %d: not oldest first", id, seq, last)
		}
		last = seq
	}
	for _, id := range p.l.ids {
		if p.l.seq[id] >= firstAfterStart && !delivered[id] {
			p.t.Fatalf("%s (item %d) never delivered; got %d items", id, p.l.seq[id], len(p.got))
		}
	}
}

func TestPollDelivery(t *testing.T) {
	small := Limits{PageSize: 3, MaxPages: 2, MaxBatch: 4}
	tests := []struct {
		name  string
		tick  int64
		lim   Limits
		setup int // items before the start
		// run adds, deletes and polls; the poller checks each poll.
		run func(t *testing.T, l *memList, p *poller)
	}{
		{"nothing new", 60, Limits{}, 5, func(t *testing.T, l *memList, p *poller) {
			st := p.st
			if res := p.poll(); len(res.Items) != 0 || res.More || !slices.Equal(res.State.Known, st.Known) {
				t.Fatalf("%+v", res)
			}
		}},
		{"one new", 60, Limits{}, 5, func(t *testing.T, l *memList, p *poller) {
			id := l.add(1)[0]
			if res := p.poll(); len(res.Items) != 1 || res.Items[0].ID != id || res.More || res.State.Known[0] != id {
				t.Fatalf("%+v", res)
			}
			if res := p.poll(); len(res.Items) != 0 {
				t.Fatalf("delivered again: %+v", res)
			}
		}},
		{"several sharing a second", 0, Limits{}, 3, func(t *testing.T, l *memList, p *poller) {
			l.add(4)
			p.drain()
			l.add(3) // the same second again
			p.drain()
			if len(p.got) != 7 {
				t.Fatal(p.got)
			}
		}},
		{"an empty account", 60, small, 0, func(t *testing.T, l *memList, p *poller) {
			p.drain()
			l.add(2)
			p.drain()
			l.add(9)
			p.drain()
			if len(p.got) != 11 {
				t.Fatal(p.got)
			}
		}},
		{"more than a page", 60, Limits{PageSize: 3, MaxPages: 5, MaxBatch: 100}, 4, func(t *testing.T, l *memList, p *poller) {
			l.add(10)
			if res := p.poll(); len(res.Items) != 10 || res.More {
				t.Fatalf("%d items, more %v", len(res.Items), res.More)
			}
		}},
		{"more than a batch", 60, Limits{PageSize: 3, MaxPages: 5, MaxBatch: 4}, 4, func(t *testing.T, l *memList, p *poller) {
			l.add(10)
			for _, want := range []int{4, 4, 2, 0} {
				if res := p.poll(); len(res.Items) != want || res.More != (want == 4) {
					t.Fatalf("%d items, more %v; want %d", len(res.Items), res.More, want)
				}
			}
		}},
		{"more than a poll walks", 60, small, 4, func(t *testing.T, l *memList, p *poller) {
			l.add(40)
			p.drain()
		}},
		{"more than a poll walks, with the empty account's end", 60, small, 0, func(t *testing.T, l *memList, p *poller) {
			l.add(40)
			p.drain()
		}},
		{"new items during a descent", 60, small, 4, func(t *testing.T, l *memList, p *poller) {
			l.add(30)
			for i := range 12 {
				p.poll()
				l.add(i % 3)
			}
			p.drain()
		}},
		{"deletions during a descent", 60, small, 6, func(t *testing.T, l *memList, p *poller) {
			l.add(30)
			p.poll()
			p.poll()
			l.remove(l.ids[1]) // a new item: the list moves up under the cursor
			p.drain()
		}},
		{"a descent's page starts at an older known item", 60, small, 6, func(t *testing.T, l *memList, p *poller) {
			l.add(8)
			if res := p.poll(); p.st.Cursor == "" || len(res.Items) != 0 {
				t.Fatalf("no descent: %+v", res)
			}
			l.remove(l.ids[:7]...) // the list moves up: a known item under the cursor
			p.drain()
		}},
		{"the newest known deleted", 60, small, 6, func(t *testing.T, l *memList, p *poller) {
			l.add(3)
			p.drain()
			l.remove(p.st.Known[0], p.st.Known[1])
			l.add(2)
			p.drain()
		}},
		{"all but one known deleted", 60, Limits{}, 12, func(t *testing.T, l *memList, p *poller) {
			l.remove(p.st.Known[:MaxKnown-1]...)
			l.add(5)
			p.drain()
		}},
		// Timestamps out of the list's order (the fake's bursts): a poll
		// knows the items below its stop anew, so that deleting the known
		// ones one at a time never leaves it to the timestamps.
		{"known deleted one at a time, timestamps out of order", -60, small, 14, func(t *testing.T, l *memList, p *poller) {
			for range MaxKnown + 2 {
				l.remove(l.ids[0])
				p.poll()
			}
			l.add(3)
			p.drain()
			if len(p.got) != 3 {
				t.Fatal(p.got)
			}
		}},
		{"every known deleted", 60, small, 12, func(t *testing.T, l *memList, p *poller) {
			l.remove(p.st.Known...)
			l.add(2)
			p.drain()
			if !slices.Contains(p.got, l.ids[0]) {
				t.Fatal(p.got)
			}
			l.add(1)
			p.drain()
		}},
		{"every known deleted, in a long list", 60, small, 30, func(t *testing.T, l *memList, p *poller) {
			l.remove(p.st.Known...)
			l.add(2)
			p.drain()
		}},
		{"an expired cursor", 60, small, 4, func(t *testing.T, l *memList, p *poller) {
			l.add(20)
			p.poll()
			l.expired[p.st.Cursor] = true
			p.drain()
		}},
		{"the list emptied", 60, small, 4, func(t *testing.T, l *memList, p *poller) {
			l.remove(l.ids...)
			p.drain()
			l.add(3)
			p.drain()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newMemList(tt.tick)
			l.add(tt.setup)
			p := startPoller(t, l, tt.lim)
			tt.run(t, l, p)
			p.drain()
			p.check(tt.setup + 1)
		})
	}
}

// Start knows the newest items of the list, one page of MaxKnown.
func TestStart(t *testing.T) {
	tests := []struct {
		items     int
		wantKnown int
	}{{0, 0}, {1, 1}, {MaxKnown, MaxKnown}, {MaxKnown + 5, MaxKnown}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.items), func(t *testing.T) {
			l := newMemList(60)
			l.add(tt.items)
			st, err := Start(context.Background(), l.list)
			if err != nil || len(st.Known) != tt.wantKnown || l.calls != 1 {
				t.Fatalf("%+v %v, %d calls", st, err, l.calls)
			}
			if tt.items > 0 && (st.Known[0] != l.ids[0] || st.Newest != l.times[l.ids[0]]) {
				t.Fatalf("%+v", st)
			}
		})
	}
}

// An upstream error fails the poll, but for a descent's expired cursor.
func TestPollUpstreamError(t *testing.T) {
	fail := &connectors.Error{Code: connectors.CodeUpstreamError, Message: "down"}
	list := func(context.Context, string, int) (*Page, error) { return nil, fail }
	if _, err := Poll(context.Background(), list, State{Known: []string{"1"}}, Limits{}); err != fail {
		t.Fatalf("%v", err)
	}
	refused := &connectors.Error{Code: connectors.CodeBadRequest, Upstream: &connectors.UpstreamDetail{Code: 100}}
	list = func(context.Context, string, int) (*Page, error) { return nil, refused }
	if _, err := Poll(context.Background(), list, State{Known: []string{"1"}}, Limits{}); err != refused {
		t.Fatalf("from the top: %v", err)
	}
	res, err := Poll(context.Background(), list, State{Known: []string{"1"}, Cursor: "c"}, Limits{})
	if err != nil || res.State.Cursor != "" || !res.More {
		t.Fatalf("descent: %+v %v", res, err)
	}
}

func TestParsePage(t *testing.T) {
	tr := &Trigger{IDField: "id", TimeField: "timestamp", TimeLayout: "2006-01-02T15:04:05-0700"}
	tests := []struct {
		name, body string
		wantErr    bool
		wantIDs    string
		wantAfter  string
		wantTime   int64
	}{
		{"a page with a next one", `{"data":[{"id":"2","timestamp":"2026-11-24T12:00:00+0000"},{"id":"1"}],"paging":{"cursors":{"before":"b","after":"a+/="},"next":"https://graph/next"}}`,
			false, "2,1", "a+/=", 1795521600},
		{"the last page", `{"data":[{"id":"1","timestamp":"2026-11-24T12:00:00+0000"}],"paging":{"cursors":{"before":"b","after":"a"}}}`, false, "1", "", 1795521600},
		{"an empty page", `{"data":[]}`, false, "", "", 0},
		{"a bad timestamp", `{"data":[{"id":"1","timestamp":"yesterday"}]}`, false, "1", "", 0},
		{"not a list", `{"id":"1"}`, true, "", "", 0},
		{"not JSON", `<html>`, true, "", "", 0},
		{"an item without an id", `{"data":[{"caption":"x"}]}`, true, "", "", 0},
		{"an id that is not digits", `{"data":[{"id":"1/2"}]}`, true, "", "", 0},
		{"an item that is not an object", `{"data":[1]}`, true, "", "", 0},
		{"a next page without a cursor", `{"data":[{"id":"1"}],"paging":{"cursors":{},"next":"https://graph/next"}}`, true, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tr.ParsePage([]byte(tt.body))
			if tt.wantErr {
				if connectors.AsError(err).Code != connectors.CodeUpstreamError {
					t.Fatalf("%+v %v", p, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			if strings.Join(ids, ",") != tt.wantIDs || p.After != tt.wantAfter || len(p.Items) > 0 && p.Items[0].Time != tt.wantTime {
				t.Fatalf("%+v", p)
			}
		})
	}
}
