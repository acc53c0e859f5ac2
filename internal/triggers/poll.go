package triggers

import (
	"context"

	"github.com/igconnect/gateway/internal/connectors"
)

// Limits bound one poll. Zero fields take the defaults.
type Limits struct {
	// PageSize is the items per upstream page (DefaultPageSize, Instagram's
	// most).
	PageSize int
	// MaxPages is the upstream pages one poll walks, 2 at least
	// (DefaultMaxPages).
	MaxPages int
	// MaxBatch is the items one answer delivers (DefaultMaxBatch).
	MaxBatch int
}

// Defaults of Limits.
const (
	DefaultPageSize = 100
	DefaultMaxPages = 5
	DefaultMaxBatch = 100
)

func (l Limits) withDefaults() Limits {
	if l.PageSize <= 0 {
		l.PageSize = DefaultPageSize
	}
	if l.MaxPages <= 0 {
		l.MaxPages = DefaultMaxPages
	}
	l.MaxPages = max(l.MaxPages, 2) // a descent re-reads one page a poll
	if l.MaxBatch <= 0 {
		l.MaxBatch = DefaultMaxBatch
	}
	return l
}

// Result is what a poll found.
type Result struct {
	// Items are the new items to deliver, oldest first; none when nothing
	// is new yet.
	Items []Item
	// State is the trigger's next state.
	State State
	// More tells that more items may be waiting: poll again soon.
	More bool
}

// Start is a trigger's first poll: it records the newest items of the
// list, so that only items posted later are delivered.
func Start(ctx context.Context, list Lister) (State, error) {
	p, err := list(ctx, "", MaxKnown)
	if err != nil {
		return State{}, err
	}
	var st State
	for _, it := range p.Items[:min(len(p.Items), MaxKnown)] {
		st.Known = append(st.Known, it.ID)
		st.Newest = max(st.Newest, it.Time)
	}
	return st, nil
}

// Poll walks the list from the top (or, during a descent, from the state's
// cursor), at most lim.MaxPages pages, until it meets an item the state
// knows; the items above it are new, and the oldest lim.MaxBatch of them
// are delivered, oldest first. The next state knows the delivered items
// and the ones below them, so no item is delivered twice and none is
// skipped:
//
//   - The known IDs are the newest items delivered, contiguous in the
//     list, so the first of them met is the newest one left, and every
//     item walked above it is new. Deleting known items between polls
//     only moves the stop down, over items already delivered.
//   - When more items are new than a poll walks, it delivers nothing and
//     keeps the cursor of its next-to-last page: the next poll re-reads
//     the last page (so a list shifted by new items loses nothing) and
//     walks on. Once it meets a known item, it delivers the oldest new
//     items, just above it; the newer ones stay above the new known
//     items, for the following polls. A descent that meets a known item
//     first of all (the list moved under its cursor) starts again from
//     the top.
//   - When a poll walks the whole list without meeting a known item
//     (every known item deleted), items are known by their timestamps:
//     older than the newest one delivered (ByTime).
//   - A cursor upstream refuses (expired) starts the walk again from the
//     top.
func Poll(ctx context.Context, list Lister, st State, lim Limits) (*Result, error) {
	lim = lim.withDefaults()
	known := make(map[string]bool, len(st.Known))
	for _, id := range st.Known {
		known[id] = true
	}
	// By time, an item whose time could not be read is never known: it is
	// delivered (once: its ID is then known) rather than missed.
	isKnown := func(it Item) bool { return known[it.ID] || st.ByTime && it.Time > 0 && it.Time < st.Newest }
	fromTop := st.Cursor == ""
	restart := st
	restart.Cursor = ""

	var (
		walk    []Item // the new items met, newest first
		below   []Item // the first known item met, and the rest of its page
		cursors []string
		found   bool
		ended   bool
		seen    = map[string]bool{}
	)
	after := st.Cursor
	for len(cursors) < lim.MaxPages {
		p, err := list(ctx, after, lim.PageSize)
		if err != nil {
			if e := connectors.AsError(err); !fromTop && len(cursors) == 0 && e.Code == connectors.CodeBadRequest && e.Upstream != nil {
				return &Result{State: restart, More: true}, nil // an expired cursor
			}
			return nil, err
		}
		cursors = append(cursors, p.After)
		for i, it := range p.Items {
			if isKnown(it) {
				found, below = true, p.Items[i:]
				break
			}
			if !seen[it.ID] { // the list moved between two pages
				seen[it.ID] = true
				walk = append(walk, it)
			}
		}
		if found {
			break
		}
		if p.After == "" {
			ended = true
			break
		}
		after = p.After
	}

	switch {
	case found && len(walk) == 0 && !fromTop:
		// The descent met a known item first: the new items just above it
		// are behind the cursor. Start again from the top.
		return &Result{State: restart, More: true}, nil
	case found, ended && (len(st.Known) == 0 || st.ByTime):
		// A known item, or the end of a list all new.
		return deliver(st, walk, below, fromTop, lim), nil
	case ended && fromTop:
		// The whole list, and no known item: they are all gone. Items
		// older than the newest one delivered are known.
		st.ByTime = true
		i := 0
		for i < len(walk) && walk[i].Time >= st.Newest {
			i++
		}
		return deliver(st, walk[:i], walk[i:], true, lim), nil
	case ended:
		// The descent ended without a known item: they are gone, or the
		// list moved under the cursor. Start again from the top, by time.
		restart.ByTime = true
		return &Result{State: restart, More: true}, nil
	default:
		// More new items than a poll walks: descend, re-reading the last
		// page on the next poll (cursors[len-2] is set: the walk went on
		// past that page).
		next := restart
		next.Cursor = cursors[len(cursors)-2]
		return &Result{State: next, More: true}, nil
	}
}

// deliver returns the oldest lim.MaxBatch items of walk (newest first,
// just above below's first item, or above the end of the list), oldest
// first, and the state that knows them and the items below them.
func deliver(st State, walk, below []Item, fromTop bool, lim Limits) *Result {
	n := min(len(walk), lim.MaxBatch)
	batch := walk[len(walk)-n:]
	res := &Result{Items: make([]Item, n), More: !fromTop || len(walk) > n}
	for i, it := range batch {
		res.Items[n-1-i] = it
	}
	next := State{Newest: st.Newest}
	for _, it := range append(batch[:len(batch):len(batch)], below...) {
		if len(next.Known) == MaxKnown {
			break
		}
		next.Known = append(next.Known, it.ID)
		next.Newest = max(next.Newest, it.Time)
	}
	if len(next.Known) == 0 {
		// Nothing delivered and nothing below: an empty list (or a
		// descent whose pages emptied). Keep what the state knew.
		next = st
		next.Cursor = ""
	}
	res.State = next
	return res
}
