module netrepro.local/docker-attach

go 1.23
