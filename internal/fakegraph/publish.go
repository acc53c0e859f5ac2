package fakegraph

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// containerTTL is how long an unpublished container lives (24 hours).
const containerTTL = 24 * time.Hour

// URL hints steer the fake's media processing, as a real fetch of the URL
// would: a URL containing "error" ends in ERROR, "expire" in EXPIRED, and
// "stuck" never finishes.
func outcome(u string) (final, reason string) {
	l := strings.ToLower(u)
	switch {
	case strings.Contains(l, "error"):
		return StateError, "Error: Media download has failed. The media URI doesn't meet our requirements. (2207052)"
	case strings.Contains(l, "expire"):
		return StateExpired, "Expired: The container was not published within 24 hours and has expired."
	case strings.Contains(l, "stuck"):
		return StateInProgress, "In Progress: Media is still being processed."
	}
	return StateFinished, "Finished: Media has been uploaded and it is ready to be published."
}

// stateLocked returns a container's state and status text now.
func (s *Server) stateLocked(c *Container) (string, string) {
	now := s.Now()
	switch {
	case c.state == StatePublished:
		return StatePublished, "Published: Media has been published."
	case now.Before(c.readyAt):
		return StateInProgress, "In Progress: Media is still being processed."
	case c.final == StateFinished && now.After(c.Created.Add(containerTTL)):
		return StateExpired, "Expired: The container was not published within 24 hours and has expired."
	}
	return c.final, c.reason
}

func param(e string) graphError {
	return graphError{Message: "(#100) " + e, Code: 100}
}

func (s *Server) createContainer(w http.ResponseWriter, r *http.Request, user *User) {
	f := r.Form
	c := &Container{
		OwnerID:        user.ID,
		MediaType:      strings.ToUpper(f.Get("media_type")),
		ImageURL:       f.Get("image_url"),
		VideoURL:       f.Get("video_url"),
		Caption:        f.Get("caption"),
		AltText:        f.Get("alt_text"),
		IsCarouselItem: f.Get("is_carousel_item") == "true",
		Created:        s.Now(),
	}
	if utf8.RuneCountInString(c.Caption) > 2200 {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "(#100) The caption is too long: 2,200 characters at most.", Code: 100, ErrorSubcode: 2207010})
		return
	}
	delay := s.ProcessingTime
	switch c.MediaType {
	case "", "IMAGE":
		c.MediaType = "IMAGE"
		if c.ImageURL == "" {
			s.writeError(w, http.StatusBadRequest, param("The parameter image_url is required."))
			return
		}
		c.final, c.reason = outcome(c.ImageURL)
	case "VIDEO", "REELS":
		if c.VideoURL == "" {
			s.writeError(w, http.StatusBadRequest, param("The parameter video_url is required."))
			return
		}
		delay *= 3
		c.final, c.reason = outcome(c.VideoURL)
	case "STORIES":
		if c.ImageURL == "" && c.VideoURL == "" {
			s.writeError(w, http.StatusBadRequest, param("The parameter image_url or video_url is required."))
			return
		}
		c.final, c.reason = outcome(c.ImageURL + c.VideoURL)
	case "CAROUSEL":
		if c.IsCarouselItem {
			s.writeError(w, http.StatusBadRequest, param("A carousel cannot be a carousel item."))
			return
		}
		kids := strings.Split(f.Get("children"), ",")
		if f.Get("children") == "" || len(kids) < 2 || len(kids) > 10 {
			s.writeError(w, http.StatusBadRequest, graphError{Message: "(#100) The parameter children must list 2 to 10 carousel item containers.", Code: 100, ErrorSubcode: 2207003})
			return
		}
		c.final, c.reason = StateFinished, "Finished: Media has been uploaded and it is ready to be published."
		for _, k := range kids {
			kc := s.containers[strings.TrimSpace(k)]
			if kc == nil || kc.OwnerID != user.ID || !kc.IsCarouselItem {
				s.writeError(w, http.StatusBadRequest, param("The parameter children contains an invalid container ID: "+k))
				return
			}
			switch st, reason := s.stateLocked(kc); st {
			case StateInProgress:
				s.writeError(w, http.StatusBadRequest, graphError{Message: "Media ID is not available", Code: 9007, ErrorSubcode: 2207027,
					UserTitle: "Media ID is not available", UserMsg: "A carousel item is not ready yet, please wait for a moment."})
				return
			case StateError, StateExpired, StatePublished:
				c.final, c.reason = StateError, "Error: Carousel item "+kc.ID+" failed: "+reason
			}
			c.Children = append(c.Children, kc.ID)
		}
	default:
		s.writeError(w, http.StatusBadRequest, param("The parameter media_type must be one of VIDEO, REELS, STORIES, CAROUSEL."))
		return
	}
	c.ID = s.newIDLocked(containerIDBase)
	c.readyAt = c.Created.Add(delay)
	s.containers[c.ID] = c
	writeJSON(w, http.StatusOK, map[string]string{"id": c.ID})
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request, user *User) {
	id := r.Form.Get("creation_id")
	if id == "" {
		s.writeError(w, http.StatusBadRequest, param("The parameter creation_id is required."))
		return
	}
	c := s.containers[id]
	if c == nil || c.OwnerID != user.ID || c.IsCarouselItem {
		s.writeError(w, http.StatusBadRequest, unsupported(r.Method, id))
		return
	}
	if s.published[user.ID] >= 100 {
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Application request limit reached", Code: 9, ErrorSubcode: 2207042,
			UserTitle: "Reached maximum number of posts", UserMsg: "You reached maximum number of posts that is allowed to be published by Content Publishing API."})
		return
	}
	switch st, reason := s.stateLocked(c); st {
	case StateFinished:
	case StatePublished:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "(#9007) The media has already been published.", Code: 9007, ErrorSubcode: 2207006,
			UserTitle: "Media already published", UserMsg: reason})
		return
	default:
		s.writeError(w, http.StatusBadRequest, graphError{Message: "Media ID is not available", Code: 9007, ErrorSubcode: 2207027,
			UserTitle: "Media ID is not available", UserMsg: "The media is not ready for publishing, please wait for a moment. (" + reason + ")"})
		return
	}
	m := &Media{ID: s.newIDLocked(mediaIDBase), OwnerID: user.ID, Caption: c.Caption, AltText: c.AltText, Timestamp: s.Now().UTC(), MediaProductType: "FEED"}
	switch c.MediaType {
	case "IMAGE":
		m.MediaType, m.MediaURL = "IMAGE", c.ImageURL
	case "VIDEO", "REELS":
		m.MediaType, m.MediaURL, m.MediaProductType = "VIDEO", c.VideoURL, "REELS"
	case "STORIES":
		m.MediaType, m.MediaProductType = "IMAGE", "STORY"
		m.MediaURL = c.ImageURL
		if c.VideoURL != "" {
			m.MediaType, m.MediaURL = "VIDEO", c.VideoURL
		}
	case "CAROUSEL":
		m.MediaType = "CAROUSEL_ALBUM"
		for _, k := range c.Children {
			kc := s.containers[k]
			child := &Media{ID: s.newIDLocked(mediaIDBase), OwnerID: user.ID, MediaType: "IMAGE", MediaURL: kc.ImageURL, Timestamp: m.Timestamp, MediaProductType: "FEED", album: m.ID}
			if kc.VideoURL != "" {
				child.MediaType, child.MediaURL = "VIDEO", kc.VideoURL
			}
			child.Shortcode = shortcode(child.ID)
			child.Permalink = "https://www.instagram.com/p/" + child.Shortcode + "/"
			s.media[child.ID] = child
			m.Children = append(m.Children, child.ID)
			kc.state = StatePublished
		}
	}
	s.finishMediaLocked(m)
	if m.MediaProductType == "STORY" {
		// A story is also on the stories edge (and stays on /media, where
		// the fake has always listed what was published).
		s.stories[user.ID] = append([]string{m.ID}, s.stories[user.ID]...)
	}
	c.state, c.mediaID = StatePublished, m.ID
	s.published[user.ID]++
	writeJSON(w, http.StatusOK, map[string]string{"id": m.ID})
}
