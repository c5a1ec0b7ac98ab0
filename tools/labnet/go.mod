module calico-ts/labnet

go 1.19
