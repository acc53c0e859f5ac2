package instagram

import "github.com/igconnect/gateway/internal/connectors"

// Pickers are the dropdowns of the Instagram definition: an input that
// takes a media ID lists the account's media (titled by caption); one that
// takes a comment ID lists the comments on the media another input of the
// same operation names.
func Pickers() []connectors.Picker {
	return []connectors.Picker{
		{
			Parameter: "IG_MEDIA_ID", OperationID: OpGetMyMedia, ValuePath: "id", TitlePath: "caption",
			Fixed: map[string]string{"IG_USER_ID": "me"},
		},
		{
			Parameter: "IG_COMMENT_ID", OperationID: OpGetMediaComments, ValuePath: "id", TitlePath: "text",
			Linked: map[string]string{"IG_MEDIA_ID": "IG_MEDIA_ID"},
		},
	}
}

// Pickers are the connector's dropdowns (Pickers).
func (c *Connector) Pickers() []connectors.Picker { return Pickers() }
