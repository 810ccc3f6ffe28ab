<?php
use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

return new class extends Migration // expect: migration-irreversible
{
    public function up(): void
    {
        Schema::dropIfExists('legacy_orders'); // expect: migration-destructive
        Schema::table('users', function (Blueprint $table) {
            $table->dropColumn(['nickname']); // expect: migration-destructive
            $table->renameColumn('email', 'email_address'); // expect: migration-destructive
            $table->string('plan'); // expect: migration-locking
            $table->index('created_at'); // expect: migration-locking
        });
    }
};
