package score

// GoldenCases is goldenCases for the golden test, which renders with
// reports.WriteJSON and so is in package score_test.
var GoldenCases = goldenCases
