package engine

import (
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// isNotFound accepts the engine's sentinel and API NotFound errors, so both
// cluster backends can report missing objects naturally.
func isNotFound(err error) bool {
	return err != nil && (errors.Is(err, ErrNotFound) || apierrors.IsNotFound(err))
}
