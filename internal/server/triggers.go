package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/igconnect/gateway/internal/connectors"
	"github.com/igconnect/gateway/internal/normalize"
	"github.com/igconnect/gateway/internal/triggers"
)

// Polling triggers (Power Automate's protocol) run in the action pipeline:
// route resolves a trigger's poll as it does an action (all its input
// checked before anything is counted), checkTriggerState verifies its state
// once the connection is known, the limiter counts the poll as one call
// however many pages it reads upstream, and perform polls.
//
// A poll without a state answers 202 with Location (this route, the state
// of "now") and Retry-After; with a state, 202 again while nothing is new,
// or 200 with the new items, oldest first, in value. Location never
// carries a credential: Power Automate sends its connection's key again.

// DefaultTriggerInterval is the Retry-After of a poll that found nothing new.
const DefaultTriggerInterval = 60 * time.Second

// triggerSoon is the Retry-After, in seconds, of a poll that leaves new
// items waiting.
const triggerSoon = 1

// triggerSegment starts every trigger's route, after the optional version:
// /instagram[/v21.0]/triggers/…. No action's path starts with it, and the
// action router never sees it, so it is never taken for an ID.
const triggerSegment = "triggers"

// triggerSet is the connector's triggers, by path below the version.
type triggerSet struct {
	byPath   map[string]*trigger
	signer   *triggers.Signer
	interval time.Duration
	limits   triggers.Limits
}

// trigger is one of the connector's triggers and the action that names it
// in logs and metrics.
type trigger struct {
	triggers.Trigger
	action *connectors.Action
}

// triggerCall is a poll's validated input: its Call carries it in Body, as
// an action's Call carries its decoded body.
type triggerCall struct {
	trigger *trigger
	// list is the call of the list action the trigger polls, its fields
	// the caller's (validated as that action's).
	list *connectors.Call
	// fields is the caller's fields, normalized, carried on in Location;
	// empty for the defaults.
	fields string
	// location is the absolute URL of this route, without a query.
	location string
	// signed is the caller's state, nil on the first poll; state is it
	// once verified.
	signed triggers.Signed
	state  triggers.State
}

// newTriggerSet returns the connector's triggers. A trigger whose list
// does not resolve to its paged action is a programming error: it panics,
// as a definition that does not parse does.
func newTriggerSet(opts Options, router *connectors.Router) *triggerSet {
	set := &triggerSet{
		byPath:   map[string]*trigger{},
		signer:   triggers.NewSigner(opts.TriggerKey),
		interval: opts.TriggerInterval,
		limits:   opts.TriggerLimits,
	}
	if set.interval <= 0 {
		set.interval = DefaultTriggerInterval
	}
	src, ok := opts.Connector.(triggers.Source)
	if !ok {
		return set
	}
	for _, t := range src.Triggers() {
		call, _, err := router.Build(http.MethodGet, opts.Connector.DefaultVersion()+"/"+t.List, nil, nil)
		if err != nil || call.Action.OperationID != t.Poll || !call.Action.Paged {
			panic("trigger " + t.OperationID + " does not poll its paged action " + t.Poll + " at " + t.List)
		}
		if !strings.HasPrefix(t.Path, triggerSegment+"/") {
			panic("trigger " + t.OperationID + " is not under " + triggerSegment + "/")
		}
		set.byPath[t.Path] = &trigger{Trigger: t, action: &connectors.Action{
			Name: t.Name, OperationID: t.OperationID, Method: http.MethodGet, Path: t.Path,
		}}
	}
	return set
}

// triggerPath tells whether rest (the escaped path below the connector's
// prefix, and below the Graph-compatible prefix) is a trigger's route, and
// returns the path below the version and the version.
func triggerPath(rest, defaultVersion string) (path, version string, ok bool) {
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	version = defaultVersion
	if connectors.ValidVersion(segs[0]) {
		version, segs = segs[0], segs[1:]
	}
	if len(segs) == 0 || segs[0] != triggerSegment {
		return "", "", false
	}
	return strings.Join(segs, "/"), version, true
}

// buildTrigger resolves a request to a trigger's poll and checks all its
// input, as build does an action's.
func (s *Server) buildTrigger(c *gin.Context, req *request, path, version string) error {
	t := s.triggers.byPath[path]
	switch {
	case req.graph:
		return connectors.Errorf(connectors.CodeNotFound, "triggers are served on /%s/%s/…, not on the Graph-compatible path", s.opts.Connector.Name(), triggerSegment)
	case t == nil:
		return connectors.Errorf(connectors.CodeNotFound, "no trigger at this path")
	case c.Request.Method != http.MethodGet:
		c.Set(keyAllowed, []string{http.MethodGet})
		return connectors.Errorf(connectors.CodeMethodNotAllowed, "method %s is not allowed here; allowed: GET", c.Request.Method)
	}
	req.call = &connectors.Call{Action: t.action, Format: connectors.FormatNew, Version: version}
	tc, err := s.buildPoll(c.Request, req.query, t, version)
	if err != nil {
		return err
	}
	req.call.Body = tc
	return nil
}

// buildPoll validates a poll's input: its fields (as the list action's),
// its state's shape, and the Host its Location is built on.
func (s *Server) buildPoll(r *http.Request, q url.Values, t *trigger, version string) (*triggerCall, error) {
	var fq url.Values
	if f, ok := q["fields"]; ok {
		fq = url.Values{"fields": f}
	}
	list, _, err := s.router.Build(http.MethodGet, version+"/"+t.List, fq, nil)
	if err != nil {
		return nil, err
	}
	tc := &triggerCall{trigger: t, list: list}
	if strings.TrimSpace(q.Get("fields")) != "" {
		tc.fields = list.Query.Get("fields")
	}
	switch v := q["state"]; {
	case len(v) > 1:
		return nil, connectors.Errorf(connectors.CodeBadRequest, "state must be given once")
	case len(v) == 1 && v[0] != "":
		if tc.signed, err = triggers.ParseState(v[0]); err != nil {
			return nil, err
		}
	}
	base, err := s.baseURL(r)
	if err != nil {
		return nil, err
	}
	tc.location = base + r.URL.EscapedPath()
	return tc, nil
}

// triggerOf returns the request's poll, nil for an action.
func triggerOf(c *gin.Context) *triggerCall {
	if req := requestOf(c); req != nil && req.call != nil {
		tc, _ := req.call.Body.(*triggerCall)
		return tc
	}
	return nil
}

// checkTriggerState verifies a poll's state for the authenticated
// connection, before the limiter: a tampered state, or another
// connection's, is a 400 that costs nothing.
func (s *Server) checkTriggerState(c *gin.Context) {
	tc := triggerOf(c)
	if tc == nil || tc.signed == nil {
		return
	}
	st, err := s.triggers.signer.Verify(connectionOf(c).ID, tc.trigger.OperationID, tc.signed)
	if err != nil {
		s.fail(c, err)
		return
	}
	tc.state = st
}

// perform polls a trigger or invokes an action.
func (s *Server) perform(c *gin.Context) {
	if tc := triggerOf(c); tc != nil {
		s.poll(c, requestOf(c), tc)
		return
	}
	s.invoke(c)
}

// poll runs one poll of a trigger upstream and answers it.
func (s *Server) poll(c *gin.Context, req *request, tc *triggerCall) {
	token, err := s.opts.Connections.Token(req.conn)
	if err != nil {
		s.fail(c, err)
		return
	}
	req.calls = new(connectors.UpstreamCalls)
	ctx := connectors.WithUpstreamCalls(c.Request.Context(), req.calls)
	var throttle time.Duration
	lister := func(fields string) triggers.Lister {
		return func(ctx context.Context, after string, limit int) (*triggers.Page, error) {
			call := *tc.list
			call.Query = url.Values{"fields": {fields}, "limit": {strconv.Itoa(limit)}}
			if after != "" {
				call.Query.Set("after", after)
			}
			call.Token, call.UserID = token, req.conn.InstagramUserID
			resp, err := s.opts.Connector.Invoke(ctx, &call)
			if err != nil {
				return nil, err
			}
			throttle = max(throttle, resp.Throttle)
			return tc.trigger.ParsePage(resp.Body)
		}
	}
	t := tc.trigger
	res := &triggers.Result{}
	if tc.signed == nil {
		res.State, err = triggers.Start(ctx, lister(t.IDField+","+t.TimeField))
	} else {
		res, err = triggers.Poll(ctx, lister(withFields(tc.list.Query.Get("fields"), t.IDField, t.TimeField)), tc.state, s.triggers.limits)
	}
	if err != nil {
		if e := connectors.AsError(err); e.Code == connectors.CodeRateLimited && e.Upstream != nil {
			s.cooldown(c, req.conn, time.Duration(e.RetryAfter)*time.Second)
		}
		s.fail(c, err)
		return
	}
	if throttle > 0 {
		s.cooldown(c, req.conn, throttle)
	}
	s.answerPoll(c, req, tc, res)
}

// answerPoll writes a poll's answer: Location and Retry-After, then 202
// or the new items.
func (s *Server) answerPoll(c *gin.Context, req *request, tc *triggerCall, res *triggers.Result) {
	state, err := s.triggers.signer.Sign(req.conn.ID, tc.trigger.OperationID, res.State)
	if err != nil {
		s.fail(c, connectors.Wrap(err, connectors.CodeInternal, "cannot sign the trigger's state"))
		return
	}
	q := url.Values{"state": {state}}
	if tc.fields != "" {
		q.Set("fields", tc.fields)
	}
	retry := seconds(s.triggers.interval)
	if res.More {
		retry = triggerSoon
	}
	c.Header("Location", tc.location+"?"+q.Encode())
	c.Header("Retry-After", strconv.Itoa(retry))
	if len(res.Items) == 0 {
		msg := "Nothing new yet; poll Location again after Retry-After seconds."
		switch {
		case tc.signed == nil:
			msg = "The trigger starts now: only what is posted from now on is delivered; poll Location after Retry-After seconds."
		case res.More:
			msg = "Still walking the list; poll Location again after Retry-After seconds."
		}
		normalize.WriteJSON(c.Writer, http.StatusAccepted, gin.H{"message": msg})
		return
	}
	items := make([]json.RawMessage, len(res.Items))
	for i, it := range res.Items {
		items[i] = it.Raw
	}
	body, err := json.Marshal(struct {
		Data  []json.RawMessage `json:"data"`
		Value []json.RawMessage `json:"value"`
	}{items, items})
	if err != nil {
		s.fail(c, connectors.Wrap(err, connectors.CodeUpstreamError, "upstream answered items that are not JSON"))
		return
	}
	if err := normalize.WriteGraph(c.Writer, http.StatusOK, body); err != nil {
		s.fail(c, err)
	}
}

// withFields returns the comma-separated fields with each of more added
// once.
func withFields(fields string, more ...string) string {
	list := strings.Split(fields, ",")
	for _, f := range more {
		if !slices.Contains(list, f) {
			list = append(list, f)
		}
	}
	return strings.Trim(strings.Join(list, ","), ",")
}
