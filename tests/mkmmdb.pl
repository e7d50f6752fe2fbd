#!/usr/bin/perl
# mkmmdb.pl - writes a small MaxMind DB (.mmdb) for the tests and the bench,
# with Debian's libmaxmind-db-writer-perl (MaxMind::DB::Writer::Tree).
#
#   perl tests/mkmmdb.pl [TYPE IP_VERSION] OUT.mmdb < SPEC
#
# TYPE is the metadata's database_type (GeoLite2-Country, GeoIP2-City,
# GeoLite2-ASN, ...), IP_VERSION 4 or 6; without them, SPEC's first line
# must name them: "# mkmmdb.pl TYPE IP_VERSION" (tests/mmdb/*.spec). SPEC
# has one network a line ('#' comments and blank lines skipped), either:
#   CIDR,CC                           a geo CSV line: country.iso_code = CC
#   CIDR|path=value|path=value...     dotted paths into the record, e.g.
#                                     registered_country.iso_code=US or
#                                     autonomous_system_number=64500
# A value of digits only is written as uint32, anything else as a UTF-8
# string (\n, \t, \\ and \xHH are unescaped, the bytes read as UTF-8).
# Networks are inserted shortest prefix first, so a longer prefix wins
# inside a shorter one (as in the CSV); a later line wins over an equal
# prefix.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

die "usage: mkmmdb.pl [TYPE IP_VERSION] OUT.mmdb < SPEC\n"
    unless @ARGV == 1 || @ARGV == 3;
my ($type, $ipv, $out) = @ARGV == 3 ? @ARGV : (undef, undef, $ARGV[0]);
if (!defined $type) {
	my $first = <STDIN> // '';
	($type, $ipv) = $first =~ /^#\s*mkmmdb\.pl\s+(\S+)\s+([46])\s*$/
	    or die "mkmmdb.pl: the spec's first line is not '# mkmmdb.pl TYPE IP_VERSION'\n";
}

sub unescape {
	my ($s) = @_;
	$s =~ s/\\(n|t|\\|x([0-9A-Fa-f]{2}))/
	    $1 eq 'n' ? "\n" : $1 eq 't' ? "\t" : $1 eq '\\' ? '\\' : chr(hex($2))/ge;
	utf8::decode($s); # the bytes are UTF-8 (the writer encodes characters)
	return $s;
}

sub put_path {
	my ($rec, $path, $value) = @_;
	my @keys = split /\./, $path;
	my $last = pop @keys;
	for my $k (@keys) {
		$rec->{$k} //= {};
		$rec = $rec->{$k};
	}
	$rec->{$last} = $value;
}

my @nets;
my $line_no = 0;
while (my $line = <STDIN>) {
	$line_no++;
	$line =~ s/\r?\n\z//;
	next if $line =~ /^\s*(#|$)/;
	my ($cidr, %rec);
	if ($line =~ /^\s*([^,|\s]+)\s*,\s*([A-Za-z]{2})\s*$/) {
		$cidr = $1;
		%rec = (country => { iso_code => uc $2 });
	} else {
		my @f = split /\|/, $line;
		$cidr = shift @f;
		for my $kv (@f) {
			my ($path, $value) = $kv =~ /^([^=]+)=(.*)\z/s
			    or die "line $line_no: expected path=value, not '$kv'\n";
			put_path(\%rec, $path, unescape($value));
		}
	}
	my ($len) = $cidr =~ m{/(\d+)\z} or die "line $line_no: no prefix length in '$cidr'\n";
	push @nets, [$len, scalar @nets, $cidr, \%rec];
}

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => $ipv,
	record_size => 24,
	database_type => $type,
	languages => ['en'],
	description => { en => "exfild test database ($type)" },
	remove_reserved_networks => 0, # the tests use documentation ranges
	map_key_type_callback => sub {
		my ($key, $value) = @_;
		return 'map' if ref $value eq 'HASH';
		return $value =~ /^\d{1,9}\z/ ? 'uint32' : 'utf8_string';
	},
);
# reproducible files: the build time from SOURCE_DATE_EPOCH when it is set
$tree->_set_build_epoch($ENV{SOURCE_DATE_EPOCH}) if defined $ENV{SOURCE_DATE_EPOCH};
for my $n (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @nets) {
	$tree->insert_network($n->[2], $n->[3]);
}
open my $fh, '>:raw', "$out.tmp" or die "$out.tmp: $!\n";
$tree->write_tree($fh);
close $fh or die "$out.tmp: $!\n";
rename "$out.tmp", $out or die "$out: $!\n";
