package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// stream returns the random source of one generator in one run. It is
// derived by hashing the seed, the scenario and the generator's name, so
// adding a generator never shifts the draws of another.
func stream(seed uint64, scenario, generator string) rand.Source {
	h := fnv.New64a()
	_, _ = h.Write([]byte(scenario))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(generator))
	return rand.NewPCG(seed, h.Sum64())
}
