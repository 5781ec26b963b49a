package mailsort

import (
	"slices"
	"testing"
	"time"
)

// day returns a time d days after a fixed day, for dates that read easily.
func day(d int) time.Time {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
}

func TestValidKey(t *testing.T) {
	for _, name := range []string{"arrival", "Cc", "DATE", "from", "size", "subject", "tO"} {
		if k, ok := ValidKey(name); !ok || string(k) != string(Key(k)) || k == "" {
			t.Errorf("ValidKey(%q) = %q, %v", name, k, ok)
		}
	}
	if k, ok := ValidKey("arrival"); k != KeyArrival || !ok {
		t.Errorf("ValidKey(arrival) = %q, %v", k, ok)
	}
	for _, name := range []string{"", "REVERSE", "DISPLAYFROM", "sizes"} {
		if k, ok := ValidKey(name); ok {
			t.Errorf("ValidKey(%q) = %q, true", name, k)
		}
	}
}

func TestSort(t *testing.T) {
	msgs := []Message{
		{Num: 1, Arrival: day(3), Date: day(10), Size: 300, Subject: "Re: beta", From: "carol", To: "zed", Cc: ""},
		{Num: 2, Arrival: day(1), Date: day(12), Size: 100, Subject: "alpha", From: "Alice", To: "yan", Cc: "x"},
		{Num: 3, Arrival: day(2), Size: 200, Subject: "[list] Gamma", From: "bob", To: "Yan", Cc: "w"},
		{Num: 4, Arrival: day(5), Date: day(10), Size: 100, Subject: "BETA", From: "alice", To: "", Cc: "X"},
	}
	tests := []struct {
		name     string
		criteria []Criterion
		want     []uint32
	}{
		{"none: sequence order", nil, []uint32{1, 2, 3, 4}},
		{"arrival", []Criterion{{Key: KeyArrival}}, []uint32{2, 3, 1, 4}},
		{"reverse arrival", []Criterion{{Key: KeyArrival, Reverse: true}}, []uint32{4, 1, 3, 2}},
		// 3 has no Date: its arrival, day 2, stands in. 1 and 4 tie.
		{"date falls back to arrival", []Criterion{{Key: KeyDate}}, []uint32{3, 1, 4, 2}},
		{"reverse date keeps ties in sequence order", []Criterion{{Key: KeyDate, Reverse: true}}, []uint32{2, 1, 4, 3}},
		{"size ties in sequence order", []Criterion{{Key: KeySize}}, []uint32{2, 4, 3, 1}},
		{"reverse size", []Criterion{{Key: KeySize, Reverse: true}}, []uint32{1, 3, 2, 4}},
		{"from, case-insensitive", []Criterion{{Key: KeyFrom}}, []uint32{2, 4, 3, 1}},
		{"to, empty first", []Criterion{{Key: KeyTo}}, []uint32{4, 2, 3, 1}},
		{"cc", []Criterion{{Key: KeyCc}}, []uint32{1, 3, 2, 4}},
		{"subject uses base subject", []Criterion{{Key: KeySubject}}, []uint32{2, 1, 4, 3}},
		{"subject then reverse arrival", []Criterion{{Key: KeySubject}, {Key: KeyArrival, Reverse: true}}, []uint32{2, 4, 1, 3}},
		{"size then reverse date then from", []Criterion{{Key: KeySize}, {Key: KeyDate, Reverse: true}, {Key: KeyFrom}}, []uint32{2, 4, 3, 1}},
		{"from then size", []Criterion{{Key: KeyFrom}, {Key: KeySize, Reverse: true}}, []uint32{2, 4, 3, 1}},
		{"unknown key orders nothing", []Criterion{{Key: "BOGUS"}}, []uint32{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		if got := Sort(msgs, tt.criteria); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Sort = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSortReturnsNumsAsGiven(t *testing.T) {
	msgs := []Message{{Num: 70, Size: 2}, {Num: 9, Size: 1}, {Num: 4000000000, Size: 1}}
	want := []uint32{9, 4000000000, 70}
	if got := Sort(msgs, []Criterion{{Key: KeySize}}); !slices.Equal(got, want) {
		t.Errorf("Sort = %v, want %v", got, want)
	}
	if got := Sort(nil, []Criterion{{Key: KeySize}}); len(got) != 0 {
		t.Errorf("Sort(nil) = %v", got)
	}
}
