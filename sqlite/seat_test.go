package sqlite_test

// undoSeats takes a database back from schema 5 (0005_seats.sql) to 4.
var undoSeats = []string{"DROP TABLE member_marks", "DROP TABLE seat_requests", "DROP TABLE seats"}
