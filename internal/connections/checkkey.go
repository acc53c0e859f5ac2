package connections

import (
	"context"
	"errors"
	"fmt"

	"github.com/igconnect/gateway/internal/connectors"
)

// ErrWrongKey: the configured encryption key is not the one the store was
// written with. Its message is the one line the gateway stops with.
var ErrWrongKey = connectors.Errorf(connectors.CodeInternal,
	"GATEWAY_ENCRYPTION_KEY is not the key this store was written with (the store's canary does not open); use the original key")

// CheckKey tells whether the service's key is the store's: it opens the
// store's canary, sealed under the key of the first gateway that used the
// store. A store without one gets one, sealed under this key, unless it
// already holds connections none of whose tokens opens under this key (a
// store written before canaries existed, with another key). It returns
// ErrWrongKey, or the store's error when the store does not answer.
func (s *Service) CheckKey(ctx context.Context) error {
	canary, err := s.Store.Canary(ctx)
	if errors.Is(err, connectors.ErrNotFound) {
		canary, err = s.createCanary(ctx)
	}
	if err != nil {
		return err
	}
	if s.Sealer.OpenCanary(canary) != nil {
		return ErrWrongKey
	}
	return nil
}

// createCanary stores a canary sealed under this key, or reads the one a
// concurrent gateway stored first.
func (s *Service) createCanary(ctx context.Context) ([]byte, error) {
	if err := s.checkTokens(ctx); err != nil {
		return nil, err
	}
	sealed, err := s.Sealer.SealCanary()
	if err != nil {
		return nil, fmt.Errorf("seal the canary: %w", err)
	}
	return s.Store.CreateCanary(ctx, sealed)
}

// checkTokens returns ErrWrongKey when the store holds connections and not
// one of their tokens opens under this key.
func (s *Service) checkTokens(ctx context.Context) error {
	list, err := s.Store.List(ctx)
	if err != nil {
		return err
	}
	for _, c := range list {
		if _, err := s.Token(c); err == nil {
			return nil
		}
	}
	if len(list) > 0 {
		return ErrWrongKey
	}
	return nil
}
