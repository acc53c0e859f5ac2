package triggers

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/igconnect/gateway/internal/connectors"
)

const (
	connA   = "conn_0123456789abcdef0123"
	connB   = "conn_fedcba9876543210fedc"
	trigger = "WhenNewMediaIsPosted"
)

// fullState is the largest state: every ID 32 digits, the longest cursor.
func fullState() State {
	st := State{Newest: 1 << 40, ByTime: true, Cursor: strings.Repeat("Q", connectors.MaxCursor)}
	for i := range MaxKnown {
		st.Known = append(st.Known, strings.Repeat(string(rune('1'+i%9)), 32))
	}
	return st
}

func TestStateRoundTrip(t *testing.T) {
	s := NewSigner(bytes.Repeat([]byte{3}, 32))
	tests := []struct {
		name string
		st   State
	}{
		{"empty account", State{}},
		{"one media", State{Newest: 1764000000, Known: []string{"17900000000000042"}}},
		{"odd and even digit counts", State{Newest: 1, Known: []string{"1", "12", "123", "0", "90"}}},
		{"descent", State{Newest: 1764000000, Known: []string{"17900000000000042"}, Cursor: "++//AAAAcG9zOjAwMDAwOTk="}},
		{"by time", State{Newest: 1764000000, Known: []string{"17900000000000042"}, ByTime: true}},
		{"before 1970", State{Newest: -5, Known: []string{"7"}}},
		{"largest", fullState()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := s.Sign(connA, trigger, tt.st)
			if err != nil {
				t.Fatal(err)
			}
			if len(enc) > MaxStateLen || strings.ContainsAny(enc, "+/=") {
				t.Fatalf("%d characters, or not base64url: %q", len(enc), enc)
			}
			raw, err := ParseState(enc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Verify(connA, trigger, raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.Newest != tt.st.Newest || got.Cursor != tt.st.Cursor || got.ByTime != tt.st.ByTime ||
				strings.Join(got.Known, ",") != strings.Join(tt.st.Known, ",") {
				t.Fatalf("got %+v, want %+v", got, tt.st)
			}
		})
	}
}

// A typical state (ten 17-digit IDs, no cursor) stays short in a URL.
func TestStateIsCompact(t *testing.T) {
	s := NewSigner(nil)
	st := State{Newest: 1764000000}
	for i := range MaxKnown {
		st.Known = append(st.Known, fmt.Sprintf("179000000000000%02d", i))
	}
	enc, err := s.Sign(connA, trigger, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) > 200 {
		t.Fatalf("%d characters: %s", len(enc), enc)
	}
}

func TestStateRefused(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 32)
	s := NewSigner(key)
	st := State{Newest: 1764000000, Known: []string{"17900000000000042", "17900000000000041"}}
	enc, _ := s.Sign(connA, trigger, st)
	good, _ := ParseState(enc)
	flipped := func(i int) string {
		b := bytes.Clone(good)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// A payload no signer writes, under a valid MAC.
	forged := func(payload []byte) string {
		return base64.RawURLEncoding.EncodeToString(append(payload, s.mac(connA, trigger, payload)...))
	}
	tests := []struct {
		name, conn, trigger, state string
		signer                     *Signer
	}{
		{"another connection's", connB, trigger, enc, s},
		{"another trigger's", connA, "WhenSomethingElse", enc, s},
		{"another key's", connA, trigger, enc, NewSigner(bytes.Repeat([]byte{4}, 32))},
		{"payload tampered", connA, trigger, flipped(3), s},
		{"version tampered", connA, trigger, flipped(0), s},
		{"mac tampered", connA, trigger, flipped(len(good) - 1), s},
		{"truncated", connA, trigger, enc[:len(enc)-2], s},
		{"extended", connA, trigger, enc + "AA", s},
		{"padded", connA, trigger, enc + "=", s},
		{"standard base64", connA, trigger, strings.NewReplacer("-", "+", "_", "/").Replace(enc) + "+/", s},
		{"empty", connA, trigger, "", s},
		{"mac only", connA, trigger, base64.RawURLEncoding.EncodeToString(s.mac(connA, trigger, nil)), s},
		{"too long", connA, trigger, strings.Repeat("A", MaxStateLen+1), s},
		{"unknown version", connA, trigger, forged([]byte{2, 0, 0, 0}), s},
		{"unknown flag", connA, trigger, forged([]byte{1, 4, 0, 0}), s},
		{"too many IDs", connA, trigger, forged([]byte{1, 0, 0, MaxKnown + 1}), s},
		{"a non-digit", connA, trigger, forged([]byte{1, 0, 0, 1, 2, 0x1a}), s},
		{"odd pad digit", connA, trigger, forged([]byte{1, 0, 0, 1, 1, 0x11}), s},
		{"zero-length ID", connA, trigger, forged([]byte{1, 0, 0, 1, 0}), s},
		{"trailing bytes", connA, trigger, forged([]byte{1, 0, 0, 0, 9}), s},
		{"cursor flag without cursor", connA, trigger, forged([]byte{1, flagCursor, 0, 0}), s},
		{"cursor longer than said", connA, trigger, forged([]byte{1, flagCursor, 0, 0, 1, 'a', 'b'}), s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := ParseState(tt.state)
			if err == nil {
				_, err = tt.signer.Verify(tt.conn, tt.trigger, raw)
			}
			if e := connectors.AsError(err); err == nil || e.Code != connectors.CodeBadRequest {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
}

// A state has one encoding: the unused bits of its last character set
// are a tampered state, not the same one.
func TestStateEncodingIsCanonical(t *testing.T) {
	s := NewSigner(nil)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for n := 1; n <= 3; n++ {
		st := State{Known: slices.Repeat([]string{"17900000000000042"}, n)}
		enc, _ := s.Sign(connA, trigger, st)
		raw, _ := ParseState(enc)
		if len(raw)%3 == 0 {
			continue // no unused bits
		}
		last := strings.IndexByte(alphabet, enc[len(enc)-1])
		other := enc[:len(enc)-1] + string(alphabet[last^1])
		if _, err := ParseState(other); err == nil {
			t.Fatalf("%d IDs: %s and %s are one state", n, enc, other)
		}
		return
	}
	t.Fatal("no state with unused bits")
}

func TestSignRefusesWhatItCannotCarry(t *testing.T) {
	s := NewSigner(nil)
	tests := []struct {
		name string
		st   State
	}{
		{"too many IDs", State{Known: make([]string, MaxKnown+1)}},
		{"an ID that is not digits", State{Known: []string{"12a"}}},
		{"an ID of 33 digits", State{Known: []string{strings.Repeat("1", 33)}}},
		{"a cursor too long", State{Cursor: strings.Repeat("Q", connectors.MaxCursor+1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Sign(connA, trigger, tt.st); !errors.Is(err, errPayload) {
				t.Fatalf("signed: %v", err)
			}
		})
	}
}

// Two signers on one key (two replicas) verify each other's states; a
// signer made without a key verifies only its own.
func TestSignersOnOneKeyAgree(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	a, b := NewSigner(key), NewSigner(key)
	key[0] = 0 // the signers keep their own copy
	enc, _ := a.Sign(connA, trigger, State{Known: []string{"1"}})
	raw, _ := ParseState(enc)
	if _, err := b.Verify(connA, trigger, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(nil).Verify(connA, trigger, raw); err == nil {
		t.Fatal("a random key verifies")
	}
}
