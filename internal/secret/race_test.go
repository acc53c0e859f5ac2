//go:build race

package secret

// raceEnabled: the race detector drops sync.Pool items at random, so
// allocation counts are not meaningful.
const raceEnabled = true
