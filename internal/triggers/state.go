package triggers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/igconnect/gateway/internal/connectors"
)

// MaxKnown is how many IDs a state knows: the newest items delivered (or
// present when the trigger began), newest first. A poll stops at the first
// of them it meets, so up to MaxKnown-1 of them may be deleted between two
// polls without a miss or a repeat.
const MaxKnown = 10

// MaxStateLen bounds a state in a URL, in characters (base64url). The
// largest state, with every ID 32 digits and a cursor of
// connectors.MaxCursor bytes, is shorter.
const MaxStateLen = 4096

// stateVersion is the first byte of every state's payload.
const stateVersion = 1

// Flags of a state's second byte.
const (
	flagCursor = 1 << iota // a cursor follows the IDs
	flagByTime             // the known IDs are gone: items older than Newest are known
)

// macLabel starts the input of every state's MAC: the trigger's operation
// ID, the connection ID and the payload follow, each after a zero byte.
const macLabel = "igw trigger state v1"

// State is where a trigger's delivery stands. It is stateless on the
// server: signed, it travels in the poll's Location.
type State struct {
	// Newest is the timestamp (Unix seconds) of the newest item known.
	Newest int64
	// Known are the IDs of the newest items known (delivered, or present
	// when the trigger began), newest first, at most MaxKnown: the items
	// at and below the first of them to be met are not new.
	Known []string
	// Cursor, during a descent (more new items than one poll walks), is
	// the upstream cursor the next poll walks on from.
	Cursor string
	// ByTime, set when every known ID is gone from the list, makes every
	// item older than Newest known too.
	ByTime bool
}

// ErrState answers a state that does not verify: tampered, made for
// another connection or another trigger, or not a state at all. It says
// no more, on purpose.
var ErrState = connectors.Errorf(connectors.CodeBadRequest, "state is not one this gateway gave this connection's trigger: start the trigger again without it")

// Signer signs and verifies states (HMAC-SHA256), binding each to a
// connection and a trigger.
type Signer struct{ key []byte }

// NewSigner returns a signer on key (secret.TriggerStateKey). A nil key
// is replaced by a random one: states then hold in this process only.
func NewSigner(key []byte) *Signer {
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return &Signer{key: slices.Clone(key)}
}

// Signed is a state's bytes as the caller sent them, not yet verified.
type Signed []byte

// ParseState checks the shape of a state from a query (its size and
// encoding) before anything is known of the caller; Verify checks it.
func ParseState(s string) (Signed, error) {
	if len(s) > MaxStateLen {
		return nil, connectors.Errorf(connectors.CodeBadRequest, "state is longer than %d characters", MaxStateLen)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s) // one encoding per state
	if err != nil || len(b) < 2+sha256.Size {
		return nil, ErrState
	}
	return b, nil
}

// Sign returns st, bound to the connection and the trigger, signed and
// encoded (base64url, no padding).
func (s *Signer) Sign(connID, trigger string, st State) (string, error) {
	payload, err := st.marshal()
	if err != nil {
		return "", err
	}
	out := append(payload, s.mac(connID, trigger, payload)...)
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Verify checks that b was signed for the connection and the trigger and
// returns its state, or ErrState.
func (s *Signer) Verify(connID, trigger string, b Signed) (State, error) {
	if len(b) < 2+sha256.Size {
		return State{}, ErrState
	}
	payload, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if !hmac.Equal(sum, s.mac(connID, trigger, payload)) {
		return State{}, ErrState
	}
	var st State
	if err := st.unmarshal(payload); err != nil {
		return State{}, ErrState
	}
	return st, nil
}

func (s *Signer) mac(connID, trigger string, payload []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(macLabel))
	for _, part := range [][]byte{[]byte(trigger), []byte(connID), payload} {
		h.Write([]byte{0})
		h.Write(part)
	}
	return h.Sum(nil)
}

// errPayload is a state that cannot be written or read.
var errPayload = errors.New("malformed trigger state")

// marshal writes the payload: version, flags, Newest (varint), the count
// of Known and each ID as its digit count and packed digits (two a byte),
// then, with flagCursor, the cursor's length (uvarint) and bytes.
func (st State) marshal() ([]byte, error) {
	if len(st.Known) > MaxKnown || len(st.Cursor) > connectors.MaxCursor {
		return nil, errPayload
	}
	var flags byte
	if st.Cursor != "" {
		flags |= flagCursor
	}
	if st.ByTime {
		flags |= flagByTime
	}
	b := []byte{stateVersion, flags}
	b = binary.AppendVarint(b, st.Newest)
	b = append(b, byte(len(st.Known)))
	for _, id := range st.Known {
		if !connectors.ValidID(id) {
			return nil, errPayload
		}
		b = appendDigits(b, id)
	}
	if st.Cursor != "" {
		b = binary.AppendUvarint(b, uint64(len(st.Cursor)))
		b = append(b, st.Cursor...)
	}
	return b, nil
}

func (st *State) unmarshal(b []byte) error {
	if len(b) < 2 || b[0] != stateVersion || b[1]&^(flagCursor|flagByTime) != 0 {
		return errPayload
	}
	flags := b[1]
	b = b[2:]
	newest, n := binary.Varint(b)
	if n <= 0 || len(b) == n {
		return errPayload
	}
	st.Newest, st.ByTime = newest, flags&flagByTime != 0
	b = b[n:]
	count := int(b[0])
	b = b[1:]
	if count > MaxKnown {
		return errPayload
	}
	st.Known = make([]string, 0, count)
	for range count {
		id, rest, ok := readDigits(b)
		if !ok {
			return errPayload
		}
		st.Known = append(st.Known, id)
		b = rest
	}
	if flags&flagCursor != 0 {
		l, n := binary.Uvarint(b)
		if n <= 0 || l == 0 || l > connectors.MaxCursor || uint64(len(b)-n) != l {
			return errPayload
		}
		st.Cursor = string(b[n:])
		b = b[len(b):]
	}
	if len(b) != 0 {
		return errPayload
	}
	return nil
}

// appendDigits appends a decimal ID: its length, then its digits two a
// byte (high nibble first; an odd last digit's low nibble is 0).
func appendDigits(b []byte, id string) []byte {
	b = append(b, byte(len(id)))
	for i := 0; i < len(id); i += 2 {
		hi, lo := id[i]-'0', byte(0)
		if i+1 < len(id) {
			lo = id[i+1] - '0'
		}
		b = append(b, hi<<4|lo)
	}
	return b
}

// readDigits reads an ID appendDigits wrote, and the bytes after it.
func readDigits(b []byte) (string, []byte, bool) {
	if len(b) == 0 {
		return "", nil, false
	}
	n := int(b[0])
	size := (n + 1) / 2
	if n == 0 || n > 32 || len(b) < 1+size {
		return "", nil, false
	}
	digits := make([]byte, 0, n)
	for i, x := range b[1 : 1+size] {
		hi, lo := x>>4, x&0x0f
		if hi > 9 || lo > 9 {
			return "", nil, false
		}
		digits = append(digits, '0'+hi)
		if 2*i+1 < n {
			digits = append(digits, '0'+lo)
		} else if lo != 0 {
			return "", nil, false
		}
	}
	return string(digits), b[1+size:], true
}
