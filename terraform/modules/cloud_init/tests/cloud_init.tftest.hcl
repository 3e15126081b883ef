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

run "an_encoded_file_says_so" {
  command = plan

  variables {
    write_files = [
      { path = "/etc/plain", content = "plain\n", permissions = "0644" },
      { path = "/etc/big", content = "H4sIAAAAAAAA/8pIzcnJBwQAAP//hiYQNgYAAAA=", permissions = "0644", encoding = "gz+b64" },
    ]
  }

  assert {
    condition     = yamldecode(output.user_data).write_files[1].encoding == "gz+b64" && yamldecode(output.user_data).write_files[1].content == "H4sIAAAAAAAA/8pIzcnJBwQAAP//hiYQNgYAAAA="
    error_message = "an encoded file carries cloud-init's encoding key and its content as given"
  }

  assert {
    condition     = !can(yamldecode(output.user_data).write_files[0].encoding)
    error_message = "a plain file has no encoding key (the user-data of the VMs that write none stays as it was)"
  }
}

run "a_lockbox_secret_to_tmpfs_at_every_boot" {
  command = plan

  variables {
    write_files = [{ path = "/etc/x", content = "x\n", permissions = "0644" }]
    lockbox_files = [{
      name      = "shs-test-password"
      about     = ["What this script is for."]
      what      = "the test password"
      secret_id = "e6qtestsecret0000001"
      key       = "password"
      dir       = "/run/shs-test"
      file      = "password"
      owner_uid = 1234
    }]
  }

  assert {
    condition     = [for f in yamldecode(output.user_data).write_files : "${f.path} ${f.permissions}"] == ["/var/lib/cloud/scripts/per-boot/10-shs-test-password 0700", "/etc/x 0644"]
    error_message = "a per-boot script (root only), before the other files"
  }

  assert {
    condition = alltrue([for want in [
      "#!/usr/bin/env python3\n# What this script is for.\nimport json\n",
      "SECRET_ID = \"e6qtestsecret0000001\"\nKEY = \"password\"\nDIR = \"/run/shs-test\"\n",
      "OWNER = 1234\n",
      "sys.exit(\"shs-test-password: could not read the test password from Lockbox\")",
    ] : strcontains(yamldecode(output.user_data).write_files[0].content, want)])
    error_message = "the script reads the given secret by id into the given tmpfs file, for the given uid"
  }
}

run "a_secret_never_on_disk" {
  command = plan

  variables {
    lockbox_files = [{ name = "x", about = [], what = "x", secret_id = "e6q", key = "k", dir = "/var/lib/x", file = "x", owner_uid = 0 }]
  }

  expect_failures = [var.lockbox_files]
}

run "an_unknown_encoding" {
  command = plan

  variables {
    write_files = [{ path = "/etc/x", content = "x", permissions = "0644", encoding = "zstd" }]
  }

  expect_failures = [var.write_files]
}
