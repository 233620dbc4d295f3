module github.com/memberkit/sessionstore

go 1.25.0
