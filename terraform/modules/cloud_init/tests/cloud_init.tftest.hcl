# cloud-init user-data: a login user only with a key, files and commands as given, always valid YAML.
run "no_key_no_user" {
  command = plan

  variables {
    write_files = [{ path = "/etc/x", content = "a: \"quoted\" and: colons\n", permissions = "0644" }]
  }

  assert {
    condition     = startswith(output.user_data, "#cloud-config\n") && !can(yamldecode(output.user_data).users)
    error_message = "no login user without a key"
  }

  assert {
    condition     = yamldecode(output.user_data).write_files[0].content == "a: \"quoted\" and: colons\n" && yamldecode(output.user_data).ssh_pwauth == false
    error_message = "file contents survive the encoding exactly; password logins stay off"
  }
}

run "a_key_makes_a_user" {
  command = plan

  variables {
    ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0sGDkZ0b3HJR0bIfcmdLzG2vV5fbWf9Fy3m4cU8bqn someone@laptop"
  }

  assert {
    condition     = yamldecode(output.user_data).users[0].name == "shs" && yamldecode(output.user_data).users[0].ssh_authorized_keys == [var.ssh_public_key]
    error_message = "the key logs in as shs"
  }
}

run "refuses_a_private_key" {
  command = plan

  variables {
    ssh_public_key = "-----BEGIN OPENSSH PRIVATE KEY-----"
  }

  expect_failures = [var.ssh_public_key]
}
