// The fixed sentence list of the embedding benchmarks (varied lengths, as real traffic is).
export const SENTENCES = [
  'A cat sat on the mat.',
  'The stock market fell sharply on Monday after the report.',
  'Fortune favours the bold.',
  'He who laughs last has not yet heard the bad news, and will not find it funny once he does.',
  'Dinner is ready.',
  'The committee postponed its decision until the next quarterly meeting because several members were travelling abroad.',
  'Bright lights, big city.',
  'Please remember to water the plants while I am away for the weekend.',
  'Quantum computers use qubits, which can hold superpositions of states, to attack certain problems faster than classical machines.',
  'It rained.',
  'A journey of a thousand miles begins with a single step.',
  'The library closes at nine on weekdays and at five on Saturdays; it is closed on Sundays and public holidays.',
];
